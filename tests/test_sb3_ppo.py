"""``sb3-ppo``: the bundled MaskablePPO checkpoints play every family through the padded Gymnasium environment."""

import json
import subprocess
import sys
from pathlib import Path

import gymnasium
import numpy as np
import pytest
from cli_runner import assert_one_line_error, run_cli

import cpnopt
from cpnopt.errors import InputError
from cpnopt.files import save_instance
from cpnopt.gym_padding import PaddedCandidates
from cpnopt.gym_registration import env_id
from cpnopt.registry import get_method
from cpnopt.solution import Sense
from cpnopt.solvers.rl.sb3_ppo import bundled_checkpoint, load_model

FAMILIES = ["clustering", "routing", "placement", "regional", "offloading"]
SMALL = {  # instances the default run plays in well under a second each
    "clustering": {"n_servers": 6, "arrivals_per_slot": 3},
    "routing": {"n_users": 2, "n_frames": 1},
    "placement": {"n_iterations": 2},
    "regional": {"n_tasks": 8},
    "offloading": {"n_tasks": 6},
}
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sb3_maskable_ppo.py"
needs_rl_extra = pytest.mark.skipif(
    not get_method("regional", "sb3-ppo").available(), reason="needs the rl extra (sb3-contrib)"
)


@needs_rl_extra
@pytest.mark.parametrize("family", FAMILIES)
def test_the_bundled_checkpoint_plays_and_the_evaluator_accepts_the_decision(family):
    inst = cpnopt.generate(family, seed=3, **SMALL[family])
    sol = cpnopt.solve(inst, "sb3-ppo")
    assert sol.report.status is cpnopt.Status.FEASIBLE and sol.feasible
    assert sol.report.objective == cpnopt.evaluate(inst, sol.decision).objective
    assert sol.report.info["checkpoint"] == f"sb3-ppo-{family}.zip"
    record = json.loads(bundled_checkpoint(family).with_suffix(".json").read_text())
    assert record["steps"] >= 20_000 and "examples/sb3_maskable_ppo.py" in record["commands"][0]


@needs_rl_extra
@pytest.mark.parametrize(
    "family,params,method",
    [
        ("clustering", {"n_servers": 4, "arrivals_per_slot": 2}, "milp"),
        ("routing", {"n_users": 2, "n_frames": 1}, "milp"),
        ("placement", {"n_iterations": 1}, "milp"),
        ("regional", {"n_tasks": 6}, "milp"),
    ],
)  # offloading: tests/test_offloading_sequence.py (seq-opt bounds every learned method, sb3-ppo included)
def test_the_exact_optimum_bounds_sb3_ppo(family, params, method):
    inst = cpnopt.generate(family, seed=1, **params)
    optimum = cpnopt.solve(inst, method, time_limit=60, threads=1).report
    assert optimum.status is cpnopt.Status.OPTIMAL
    value = cpnopt.solve(inst, "sb3-ppo").report.objective
    if cpnopt.get_family(family).sense is Sense.MAXIMIZE:
        assert value <= optimum.objective + 1e-6
    else:
        assert value >= optimum.objective - 1e-6


@needs_rl_extra
@pytest.mark.parametrize(
    "family,params",
    [
        ("clustering", {"n_servers": 4, "arrivals_per_slot": 2}),
        ("clustering", {"n_servers": 16, "arrivals_per_slot": 2}),  # the bundled model's maximum
        ("placement", {"n_devices": 7, "n_iterations": 1}),
        ("regional", {"n_east": 4, "n_west": 4, "n_tasks": 6}),
        ("offloading", {"n_candidates": 3, "n_tasks": 4}),
    ],
)
def test_sizes_other_than_the_training_one_play_padded(family, params):
    inst = cpnopt.generate(family, seed=0, **params)
    sol = cpnopt.solve(inst, "sb3-ppo", samples=3)
    assert sol.feasible and sol.report.info["samples"] == 3


@needs_rl_extra
def test_an_instance_above_the_maximum_is_one_input_error_naming_the_field():
    inst = cpnopt.generate("clustering", seed=0, n_servers=17, arrivals_per_slot=2)
    with pytest.raises(InputError, match="more than the 16") as caught:
        cpnopt.solve(inst, "sb3-ppo")
    assert caught.value.field == "instance.n_servers" and caught.value.value == 17
    # routing: a node's features hold its adjacency row, so the environment pads to the training node count
    assert cpnopt.solve(cpnopt.generate("routing", seed=0, n_nodes=8), "sb3-ppo").feasible
    with pytest.raises(InputError, match="at most 14 nodes"):
        cpnopt.solve(cpnopt.generate("routing", seed=0, n_nodes=20), "sb3-ppo")


@needs_rl_extra
def test_another_familys_checkpoint_is_refused():
    inst = cpnopt.generate("regional", seed=0, n_tasks=4)
    with pytest.raises(InputError, match="not regional's") as caught:
        cpnopt.solve(inst, "sb3-ppo", checkpoint=str(bundled_checkpoint("routing")))
    assert caught.value.field == "checkpoint"


def test_padding_keeps_the_real_candidates_and_masks_the_dummies():
    plain = gymnasium.make(env_id("placement"), n_iterations=2)
    padded = PaddedCandidates(gymnasium.make(env_id("placement"), n_iterations=2), 6)
    inst = cpnopt.generate("placement", seed=0, n_devices=3, n_iterations=2)
    obs, _ = padded.reset(options={"instance": inst})
    assert padded.observation_space.contains(obs) and padded.action_space == gymnasium.spaces.MultiDiscrete([4] * 6)
    f = plain.unwrapped.batched.n_features
    plain.unwrapped.set_candidates(3)
    real, _ = plain.reset(options={"instance": inst})
    np.testing.assert_array_equal(obs["features"][: 3 * f], real["features"])
    assert not obs["features"][3 * f :].any()
    mask = padded.action_masks().reshape(6, 4)
    assert mask[:3].all() and mask[3:, 0].all() and not mask[3:, 1:].any()  # a dummy device: its first level only
    _, _, done, _, info = padded.step(np.array([1, 2, 3, 3, 3, 3]))
    assert "action_mask" in info and not done

    regional = PaddedCandidates(gymnasium.make(env_id("regional")), 9)
    obs, _ = regional.reset(options={"seed": 0})
    assert regional.action_masks()[5:].sum() == 0 and obs["features"].shape == (9 * 15,)


def test_listing_the_methods_imports_no_stable_baselines3():
    code = "import sys, cpnopt; cpnopt.methods('regional'); assert 'stable_baselines3' not in sys.modules"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr


def test_without_the_rl_extra_solving_is_one_line_telling_how_to_install(tmp_path, monkeypatch):
    path = tmp_path / "inst.json"
    save_instance(cpnopt.generate("regional", seed=0, n_tasks=4), path)
    monkeypatch.setitem(sys.modules, "sb3_contrib", None)  # `import sb3_contrib` fails as if not installed
    load_model.cache_clear()  # a model loaded by an earlier test would not import it again
    assert not get_method("clustering", "sb3-ppo").available()  # the loops over every method leave it out
    try:
        assert_one_line_error(run_cli(["solve", str(path), "--method", "sb3-ppo"]), "sb3-ppo", 'pip install -e ".[rl]"')
    finally:
        load_model.cache_clear()


@needs_rl_extra
@pytest.mark.slow
def test_the_example_trains_padded_and_the_method_serves_its_zip_on_another_size(tmp_path):
    zip_path = tmp_path / "m.zip"
    args = ["--family", "clustering", "--steps", "256", "--seeds", "0", "--max-candidates", "10"]
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), *args, "--save", str(zip_path)], capture_output=True, text=True, timeout=900
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(zip_path.with_suffix(".json").read_text())["max_candidates"] == 10
    inst = cpnopt.generate("clustering", seed=0, n_servers=5, arrivals_per_slot=2)
    sol = cpnopt.solve(inst, "sb3-ppo", checkpoint=str(zip_path))
    assert sol.feasible and sol.report.info["max_candidates"] == 10
