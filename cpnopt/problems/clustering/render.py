"""Pictures of a P1 instance and decision: the map of clusters and the FIFO queue of each cluster.

Both functions draw on a matplotlib ``Axes`` the caller owns and return it, so they compose
in notebooks and papers. The schedule is recomputed with the same FIFO queue the evaluator
uses (:func:`cpnopt.fifo.fifo_schedule`), so the picture shows what was scored.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Circle

from cpnopt.fifo import fifo_schedule
from cpnopt.problems.clustering.decision import ClusteringDecision
from cpnopt.problems.clustering.instance import ClusteringInstance


def _colours(n: int) -> list:
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(k % cmap.N) for k in range(n)]


def plot_clusters(instance: ClusteringInstance, decision: ClusteringDecision, ax: Axes | None = None) -> Axes:
    """Servers coloured by cluster, access network, access points, and an R_max circle per cluster.

    The dashed circle of diameter R_max, centred on the midpoint of each cluster's two
    farthest members, is a visual aid only: the evaluator checks the diameter (Eq. 10c).
    """
    ax = ax or plt.gca()
    xy = instance.server_xy_km
    ap_xy = np.array([(a.x_km, a.y_km) for a in instance.access_points])
    nodes = np.vstack([xy, ap_xy])
    for link in instance.links:
        ax.plot(*nodes[[link.u, link.v]].T, color="0.85", lw=0.8, zorder=0)
    colours = _colours(len(decision.clusters))
    served = [sum(1 for a in decision.assignment if a == k) for k in range(len(decision.clusters))]
    for k, members in enumerate(decision.clusters):
        pts = xy[list(members)]
        ax.scatter(*pts.T, color=colours[k], s=60, zorder=3, label=f"C{k}: {list(members)} ({served[k]} tasks)")
        if len(members) > 1:
            i, j = max(((a, b) for a in members for b in members), key=lambda p: np.linalg.norm(xy[p[0]] - xy[p[1]]))
            centre = (xy[i] + xy[j]) / 2
            ax.add_patch(Circle(centre, instance.r_max_km / 2, fill=False, ls="--", color=colours[k], alpha=0.6))
            ax.plot(*pts.T, color=colours[k], lw=1.5, alpha=0.7)
    ax.scatter(*ap_xy.T, marker="s", color="black", s=40, zorder=4, label="access points")
    for i, (x, y) in enumerate(xy):
        ax.annotate(str(i), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_aspect("equal")
    ax.set_xlabel("x (km)")
    ax.set_ylabel("y (km)")
    ax.set_title(f"clusters (dashed circle: diameter R_max = {instance.r_max_km:g} km)", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    return ax


def plot_schedule(instance: ClusteringInstance, decision: ClusteringDecision, ax: Axes | None = None) -> Axes:
    """Gantt chart: one row per cluster, one bar per served task (FIFO order), deadline ticks."""
    ax = ax or plt.gca()
    colours = _colours(len(decision.clusters))
    for k, members in enumerate(decision.clusters):
        tasks = [n for n, a in enumerate(decision.assignment) if a == k]
        if not tasks:
            continue
        terms = instance.cluster_terms(members)
        schedule = fifo_schedule(terms.release_s[tasks], terms.processing_s[tasks])
        for pos, n in enumerate(tasks):
            start, end = schedule.start_s[pos], schedule.completion_s[pos]
            ax.barh(k, end - start, left=start, height=0.6, color=colours[k], edgecolor="black", lw=0.5)
            ax.text((start + end) / 2, k, str(n), ha="center", va="center", fontsize=7)
            ax.plot([instance.due_s[n]] * 2, [k - 0.35, k + 0.35], color="red", lw=1)
            ax.plot([terms.release_s[n]] * 2, [k - 0.35, k + 0.35], color="0.3", lw=0.8, ls=":")
    ax.set_yticks(range(len(decision.clusters)), [f"C{k}" for k in range(len(decision.clusters))])
    ax.set_xlabel("time (s)")
    ax.set_title("FIFO queue per cluster: bar = task, red = deadline, dotted = release", fontsize=9)
    return ax
