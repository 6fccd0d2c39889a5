"""``gwp``'s held-out gap along training: saved checkpoints of several training seeds, one figure (issue 18).

    python benchmarks/gwp_convergence.py --store gwp-sizes.json --runs RUNS --budgets 18 36 72 144 \\
        --train-seeds 0 1 2 --figure docs/figures/gwp-learning-curve.png

``RUNS/seed<S>/gwp-<K>k.pt`` is training seed S's checkpoint after K thousand transitions
(one run per seed, continued with ``cpnopt train ... --resume`` from one budget to the
next). Each checkpoint solves the held-out instances of ``gwp_sizes.py`` (4 devices,
``--seeds``) greedily; the gap is to milp's per-iteration optimum (its bound where unproven)
stored there by ``gwp_sizes.py --methods milp``. Per budget: each training seed's mean gap
and the pooled mean with a 95 % stratified bootstrap CI (strata: the training seeds).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gwp_sizes import reference, run_one  # the script directory is on sys.path

import cpnopt
from cpnopt.bench.stats import stratified_bootstrap

DEVICES = 4  # the training size


def gaps(store: dict, label: str, seeds: list[int]) -> list[float]:
    """The label's gap (%) to milp on every held-out seed that has a reference."""
    out = []
    for s in seeds:
        ref = reference(store[f"milp|{DEVICES}|{s}"])
        out.append(100 * (store[f"{label}|{DEVICES}|{s}"]["objective"] - ref) / ref)
    return out


def figure(path: Path, rows: list[tuple[int, list[list[float]]]], baselines: dict[str, float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [k * 1000 for k, _ in rows]
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for t in range(len(rows[0][1])):
        ax.plot(steps, [sum(g[t]) / len(g[t]) for _, g in rows], color="0.7", lw=1, marker=".")
    intervals = [stratified_bootstrap(g) for _, g in rows]
    ax.plot(steps, [i.estimate for i in intervals], color="C0", lw=2, marker="o", label="gwp (mean of training seeds)")
    ax.fill_between(steps, [i.low for i in intervals], [i.high for i in intervals], color="C0", alpha=0.2)
    for j, (label, value) in enumerate(baselines.items()):
        ax.axhline(value, ls="--", color=f"C{j + 1}", lw=1, label=label)
    ax.set_xscale("log", base=2)
    ax.set_xticks(steps, [f"{k}k" for k, _ in rows])
    ax.set_xlabel("training transitions")
    ax.set_ylabel("held-out gap to milp (%)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--runs", type=Path, required=True)
    parser.add_argument("--budgets", type=int, nargs="+", default=[18, 36, 72])
    parser.add_argument("--one-x", type=int, default=36, help="today's budget, thousand transitions")
    parser.add_argument("--train-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(20)))
    parser.add_argument("--n-iterations", type=int, default=3)
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--baselines", nargs="*", default=["static", "old"], help="labels in the store to draw")
    parser.add_argument("--figure", type=Path)
    args = parser.parse_args()
    store = json.loads(args.store.read_text())
    for s in args.seeds:
        inst = cpnopt.generate("placement", seed=s, n_devices=DEVICES, n_iterations=args.n_iterations, alpha=args.alpha)
        for t in args.train_seeds:
            for k in args.budgets:
                key = f"seed{t}-{k}k|{DEVICES}|{s}"
                if key not in store:
                    store[key] = run_one(inst, key, str(args.runs / f"seed{t}" / f"gwp-{k}k.pt"), 0.0)
    args.store.write_text(json.dumps(store, indent=1) + "\n")
    rows = [(k, [gaps(store, f"seed{t}-{k}k", args.seeds) for t in args.train_seeds]) for k in args.budgets]
    print(
        "| budget | transitions | " + " | ".join(f"training seed {t}" for t in args.train_seeds) + " | mean [95 % CI] |"
    )
    print("|---|---:|" + "---:|" * len(args.train_seeds) + "---|")
    for k, per_seed in rows:
        ci = stratified_bootstrap(per_seed)
        cells = " | ".join(f"{sum(g) / len(g):.2f} %" for g in per_seed)
        print(f"| {k / args.one_x:g}× | {k * 1000:,} | {cells} | {ci.estimate:.2f} % [{ci.low:.2f}, {ci.high:.2f}] |")
    baselines = {b: sum(gaps(store, b, args.seeds)) / len(args.seeds) for b in args.baselines}
    print(" ".join(f"{b}: {v:.2f} %" for b, v in baselines.items()))
    if args.figure:
        figure(args.figure, rows, baselines)


if __name__ == "__main__":
    main()
