"""Train ``gwp`` on a mix of device counts (issue 18): does it carry better to 8 and 16 devices?

    python benchmarks/gwp_mixed_sizes.py --steps 36000 --seed 0 --devices 4 8 -o gwp-mixed.pt

The bundled ``gwp`` is trained on 4 devices. Here the same PPO run (the agent's spec, its
config and seed) draws each training instance's device count uniformly from
``--devices`` LOW..HIGH; the batched environment pads a batch to HIGH devices (zero rows
outside the mask). The checkpoint is a ``gwp`` checkpoint (score it with
``gwp_sizes.py --agent mixed=PATH``); its JSON record names this command.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from functools import partial

import numpy as np

from cpnopt.problems.placement import PlacementParams, generate
from cpnopt.problems.placement.env import BatchedPlacementEnv
from cpnopt.rl_env import sample_instance
from cpnopt.solvers.rl.serving import get_agent
from cpnopt.solvers.rl.train import train_agent


def mixed_instance(low: int, high: int, rng: np.random.Generator) -> object:
    """A training instance (seed ≥ 10⁶) with a device count drawn uniformly from low..high."""
    params = replace(PlacementParams(), n_devices=int(rng.integers(low, high + 1)))
    return sample_instance(generate, params, rng)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=36000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--devices", type=int, nargs=2, default=[4, 8], metavar=("LOW", "HIGH"))
    parser.add_argument("-o", "--output", default="gwp-mixed.pt")
    args = parser.parse_args()
    low, high = args.devices
    spec = replace(
        get_agent("placement", "gwp"),
        make_env=partial(BatchedPlacementEnv, pad_to=high),
        sample=partial(mixed_instance, low, high),
    )
    path = train_agent(spec, args.steps, args.seed, output=args.output, progress=False)
    record_path = path.with_suffix(".json")
    record = json.loads(record_path.read_text())
    record["commands"] = ["python benchmarks/gwp_mixed_sizes.py " + " ".join(sys.argv[1:])]
    record_path.write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
