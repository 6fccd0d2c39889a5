"""The environments as the RL ecosystem expects them: ids after ``import cpnopt``, both checkers, masks, held-out seeds."""

import subprocess
import sys
import warnings
from pathlib import Path

import gymnasium
import numpy as np
import pytest
import torch

import cpnopt
from cpnopt.errors import InputError
from cpnopt.gym_registration import env_id
from cpnopt.problems.offloading.env import BatchedOffloadingEnv, joint_action, path_mask

FAMILIES = ["clustering", "routing", "placement", "regional", "offloading"]
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sb3_maskable_ppo.py"
FAST_REFERENCE = {  # a heuristic per family, so the slow test does not wait for MILPs
    "clustering": "km-rea",
    "routing": "nearest",
    "placement": "heuristic",
    "regional": "two-stage",
    "offloading": "base1",
}


def make(family: str, **params):
    return gymnasium.make(env_id(family), **params)


def checked(run) -> None:
    """Run ``run()`` and fail on any warning a user would have to act on (third-party ResourceWarnings aside)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run()
    shown = [f"{w.category.__name__}: {w.message}" for w in caught if w.category is not ResourceWarning]
    assert not shown, shown


@pytest.mark.parametrize(
    "imports",
    ["import cpnopt; import gymnasium", "import gymnasium; import cpnopt"],
    ids=["cpnopt-first", "gymnasium-first"],
)
def test_import_cpnopt_registers_the_ids_in_either_order_and_imports_neither_gymnasium_nor_torch(imports):
    code = f"""
import sys
{imports.split(";")[0]}
if "cpnopt" in sys.modules:
    assert "gymnasium" not in sys.modules and "torch" not in sys.modules, "import cpnopt imported gymnasium or torch"
{imports.split(";")[1].strip()}
ids = sorted(i for i in gymnasium.registry if i.startswith("cpnopt/"))
assert "torch" not in sys.modules, "registering imported torch"
env = gymnasium.make("cpnopt/Regional-v0")
print(" ".join(ids), env.reset(seed=0)[0]["features"].shape)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[:5] == sorted(env_id(f) for f in FAMILIES)


@pytest.mark.parametrize("family", FAMILIES)
def test_gymnasium_and_sb3_check_env_pass_without_warnings(family):
    from gymnasium.utils.env_checker import check_env

    sb3_check = pytest.importorskip("stable_baselines3.common.env_checker").check_env
    checked(lambda: check_env(make(family).unwrapped, skip_render_check=True))
    checked(lambda: sb3_check(make(family)))


@pytest.mark.parametrize("family", FAMILIES)
def test_maskable_ppo_learns_on_every_environment_without_a_wrapper(family):
    maskable = pytest.importorskip("sb3_contrib")
    torch.set_num_threads(1)
    model = maskable.MaskablePPO("MultiInputPolicy", make(family), n_steps=64, batch_size=64, n_epochs=1, seed=0)
    checked(lambda: model.learn(256))
    assert model.num_timesteps >= 256


@pytest.fixture(autouse=True)
def _restore_torch_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_the_sb3_example_trains_and_scores_every_environment_on_held_out_seeds(family):
    pytest.importorskip("sb3_contrib")
    command = [sys.executable, str(EXAMPLE), "--family", family, "--steps", "2048", "--seeds", "2"]
    out = subprocess.run([*command, "--reference", FAST_REFERENCE[family]], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == ["seed 0", "seed 1"]
    assert lines[-1].startswith(f"{family}: MaskablePPO 2048 steps") and "sb3-maskable-ppo mean gap" in lines[-1]


@pytest.mark.parametrize("family", FAMILIES)
def test_masks_are_shaped_for_the_action_space_and_follow_the_episode(family):
    env = make(family).unwrapped
    space = env.action_space
    size = int(space.nvec.sum()) if isinstance(space, gymnasium.spaces.MultiDiscrete) else int(space.n)
    obs, info = env.reset(options={"seed": 1})
    done, steps = False, 0
    while not done:
        mask = env.action_masks()
        assert mask.dtype == bool and mask.shape == (size,) and mask.any()
        np.testing.assert_array_equal(mask, obs["action_mask"].astype(bool))
        np.testing.assert_array_equal(mask, info["action_mask"].astype(bool))
        if isinstance(space, gymnasium.spaces.MultiDiscrete):  # one mask per sub-action, concatenated
            bounds = np.cumsum(np.r_[0, space.nvec])
            action = np.array([np.flatnonzero(mask[a:b])[-1] for a, b in zip(bounds[:-1], bounds[1:])])
        else:
            action = int(np.flatnonzero(mask)[-1])
        obs, _, done, _, info = env.step(action)
        steps += 1
    assert info["objective"] == pytest.approx(
        cpnopt.evaluate(env.batched.instances[0], env.batched.decision(0)).objective
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_reset_options_seed_plays_cpnopt_generate_and_reset_seed_keeps_gymnasiums_meaning(family):
    env = make(family).unwrapped
    env.reset(options={"seed": 3})
    assert env.batched.instances[0] == cpnopt.generate(family, seed=3)
    env.reset(seed=3)
    training = env.batched.instances[0]
    assert training != cpnopt.generate(family, seed=3)
    other = make(family).unwrapped
    other.reset(seed=3)
    assert other.batched.instances[0] == training  # the same Gymnasium seed, the same training instance


def test_reset_options_seed_takes_the_environments_generator_parameters():
    env = make("regional", n_tasks=7).unwrapped
    env.reset(options={"seed": 2})
    assert env.batched.instances[0] == cpnopt.generate("regional", seed=2, n_tasks=7)


@pytest.mark.parametrize(
    "options, field",
    [({"sede": 1}, "options.sede"), ({"seed": -1}, "options.seed"), ({"seed": "1"}, "options.seed")],
)
def test_bad_reset_options_name_the_field(options, field):
    with pytest.raises(InputError) as err:
        make("regional").unwrapped.reset(options=options)
    assert err.value.field == field


def test_offloading_split_options_step_as_the_joint_action_of_the_batched_environment():
    """Random allowed (node, option) actions in the Gym env build the decision of the batched env fed joint_action."""
    gym_env = make("offloading", n_tasks=6).unwrapped
    batched = BatchedOffloadingEnv()
    obs, _ = gym_env.reset(options={"seed": 4})
    batched_obs = batched.reset([cpnopt.generate("offloading", seed=4, n_tasks=6)])
    rng, done = np.random.default_rng(0), False
    while not done:
        index = int(rng.choice(np.flatnonzero(obs["action_mask"])))
        obs, reward, done, _, _ = gym_env.step(index)
        step = batched.step(joint_action(torch.tensor([index]), path_mask(batched_obs.features)))
        batched_obs = step.observation
        assert float(step.reward[0]) == pytest.approx(reward)
    assert gym_env.batched.decision(0) == batched.decision(0)


def test_offloading_keeps_the_continuous_split_as_an_option():
    env = make("offloading", split="continuous").unwrapped
    assert isinstance(env.action_space, gymnasium.spaces.Dict)
    obs, _ = env.reset(options={"seed": 0})
    assert env.action_masks().shape == (env.n_candidates,)
    node, cand = next((c, v) for c, v in enumerate(env.batched.views[0].candidates) if len(v.paths) >= 2)
    env.step({"node": node, "split_logits": np.array([1.0, 1.0, -5.0], dtype=np.float32)})
    assert env.batched.nodes[0] == [cand.compute]
    assert env.batched.splits[0][0] == (0.5, 0.5, 0.0)[: len(cand.paths)]
    with pytest.raises(InputError):
        make("offloading", split="ecmp")
