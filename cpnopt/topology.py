"""Network topologies shared by the families: real graphs from `topohub`, synthetic Gabriel graphs.

Every function returns a :class:`Topology`: an undirected, connected, simple graph whose
nodes are ``0..n-1`` with planar positions in km and whose links carry their length in km.

- :func:`from_topohub` loads a real graph shipped by the `topohub` package (Topology Zoo
  ``topozoo/<Name>``, SNDlib ``sndlib/<name>``, CAIDA ``caida/<...>``, Gabriel
  ``gabriel/<n>/<i>``). topohub gives positions as (longitude, latitude) and link lengths in
  km (``dist``); positions are projected to km with an equirectangular projection around the
  graph's mean latitude (good to a few percent at the scale of a national backbone), and a
  link without ``dist`` gets the great-circle length of its end points. Multi-edges are
  merged (the shortest kept) and self-loops dropped; a disconnected graph is rejected.
- :func:`gabriel` draws ``n`` points uniformly in a square and links every pair whose
  diametral circle holds no third point (a connected planar graph, like an access network).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import networkx as nx
import numpy as np

from cpnopt.errors import InputError

EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Topology:
    """Undirected connected graph: node positions (km) and link lengths (km)."""

    name: str
    positions_km: tuple[tuple[float, float], ...]
    links: tuple[tuple[int, int, float], ...]  # (u, v, length_km), u < v

    @property
    def n_nodes(self) -> int:
        return len(self.positions_km)

    def graph(self) -> nx.Graph:
        """networkx view: node attribute ``pos`` (x_km, y_km), edge attribute ``length_km``."""
        g = nx.Graph(name=self.name)
        for node, pos in enumerate(self.positions_km):
            g.add_node(node, pos=pos)
        for u, v, length in self.links:
            g.add_edge(u, v, length_km=length)
        return g


def gabriel_edges(xy: np.ndarray) -> list[tuple[int, int]]:
    """Edges (u, v) such that no other point lies inside the circle with diameter uv."""
    d2 = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=-1)
    n = len(xy)
    through = d2[:, None, :] + d2[None, :, :]  # [u, v, w] = |uw|² + |vw|²: w inside the circle iff < |uv|²
    index = np.arange(n)
    through[index, :, index] = np.inf  # w = u and w = v do not count
    through[:, index, index] = np.inf
    inside = (through < d2[:, :, None]).any(axis=-1)
    return [(int(u), int(v)) for u, v in zip(*np.nonzero(np.triu(~inside, k=1)))]


def gabriel(n_nodes: int, area_km: float, rng: np.random.Generator, name: str = "gabriel") -> Topology:
    """Gabriel graph of ``n_nodes`` uniform points in an ``area_km`` square."""
    if n_nodes < 2:
        raise InputError("n_nodes", n_nodes, "a topology needs at least 2 nodes")
    xy = rng.uniform(0.0, area_km, size=(n_nodes, 2))
    links = tuple((u, v, float(np.linalg.norm(xy[u] - xy[v]))) for u, v in gabriel_edges(xy))
    return Topology(name=name, positions_km=tuple((float(x), float(y)) for x, y in xy), links=links)


def _haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lon1, lat1), (lon2, lat2) = (map(math.radians, a), map(math.radians, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@functools.cache
def topohub_keys() -> frozenset[str]:
    """Every graph topohub ships: the paths of its ``data/**/*.json`` files without the suffix."""
    import importlib.resources

    import topohub

    data = importlib.resources.files(topohub) / "data"
    keys: set[str] = set()
    pending = [("", data)]
    while pending:
        prefix, folder = pending.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                pending.append((f"{prefix}{entry.name}/", entry))
            elif entry.name.endswith(".json"):
                keys.add(prefix + entry.name.removesuffix(".json"))
    return frozenset(keys)


def from_topohub(key: str) -> Topology:
    """Load ``key`` (e.g. ``"sndlib/abilene"``, ``"topozoo/Abilene"``) from topohub.

    Only topohub's own keys are accepted (:func:`topohub_keys`): topohub reads
    ``data/{key}.json`` as given, so a key such as ``../x`` would load any JSON file.
    """
    import topohub

    if not isinstance(key, str) or key not in topohub_keys():
        raise InputError(
            "topology",
            key,
            "not a topohub key (keys look like 'sndlib/abilene', 'topozoo/Abilene'; "
            'list them: python -c "import cpnopt.topology as t; print(*sorted(t.topohub_keys()))")',
        )
    data = topohub.get(key)
    raw = nx.node_link_graph(data, edges="edges")
    order = {node: i for i, node in enumerate(sorted(raw.nodes))}
    lonlat = [tuple(raw.nodes[node]["pos"]) for node in sorted(raw.nodes)]
    mean_lat = math.radians(float(np.mean([lat for _, lat in lonlat])))
    km_per_deg = math.pi * EARTH_RADIUS_KM / 180.0
    positions = tuple((lon * km_per_deg * math.cos(mean_lat), lat * km_per_deg) for lon, lat in lonlat)
    lengths: dict[tuple[int, int], float] = {}
    for a, b, attrs in raw.edges(data=True):
        u, v = sorted((order[a], order[b]))
        if u == v:
            continue
        length = attrs.get("dist")
        length = float(length) if length is not None else _haversine_km(lonlat[u], lonlat[v])
        lengths[(u, v)] = min(length, lengths.get((u, v), math.inf))
    topology = Topology(
        name=key,
        positions_km=positions,
        links=tuple((u, v, length) for (u, v), length in sorted(lengths.items())),
    )
    if not nx.is_connected(topology.graph()):
        raise InputError("topology", key, "graph is disconnected")
    return topology
