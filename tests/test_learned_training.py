"""Training: A2C and PPO improve on the untrained policy; checkpoints resume; the CLI's train command."""

import json
from dataclasses import replace

import pytest
import torch

import cpnopt
from cpnopt.cli import main
from cpnopt.problems.clustering.env import BatchedClusteringEnv
from cpnopt.solvers.rl.serving import act_greedily, get_agent, load_policy
from cpnopt.solvers.rl.train import train_agent

FIXED = cpnopt.generate("clustering", seed=11)  # the default size (8 servers, 12 tasks)


def greedy_profit(policy, instance=FIXED):
    decision = act_greedily(BatchedClusteringEnv(), policy, [instance])[0]
    return cpnopt.evaluate(instance, decision).objective


@pytest.mark.parametrize("algorithm", ["a2c", "ppo"])
def test_short_training_beats_the_untrained_policy(algorithm, tmp_path):
    """On one fixed instance, 3 k steps of training raise the greedy policy's platform profit."""
    spec = replace(
        get_agent("clustering", "dcat"),
        algorithm=algorithm,
        sample=lambda rng: FIXED,
        config={"n_envs": 16, "learning_rate": 3e-3},
    )
    seed = 0
    torch.manual_seed(seed)  # the initialisation the training run starts from
    untrained = greedy_profit(spec.make_policy(**spec.policy_kwargs).eval())
    path = train_agent(spec, steps=3000, seed=seed, output=str(tmp_path / "c.pt"), progress=False)
    trained = greedy_profit(load_policy(spec, path))
    assert trained > untrained
    log = torch.load(path, weights_only=True)["log"]
    assert {"episode_reward", "objective", "explained_variance", "entropy"} <= set(log[-1])


def test_resume_continues_the_run(tmp_path):
    spec = replace(get_agent("clustering", "dcat"), config={"n_envs": 8})
    path = tmp_path / "r.pt"
    train_agent(spec, steps=64, output=str(path), progress=False)
    first = torch.load(path, weights_only=True)
    train_agent(spec, steps=192, output=str(path), resume=True, progress=False)
    again = torch.load(path, weights_only=True)
    assert first["global_step"] == 64 and again["global_step"] == 192
    assert again["log"][:1] == first["log"][:1] and len(again["log"]) == 3
    assert not torch.equal(first["policy"]["actor.0.weight"], again["policy"]["actor.0.weight"])
    record = json.loads(path.with_suffix(".json").read_text())
    assert len(record["commands"]) == 2 and record["commands"][1].endswith("--resume")
    assert record["steps"] == 192 and record["seed"] == 0 and record["device"] == "cpu"


def test_save_at_snapshot_equals_the_shorter_run(tmp_path):
    """``save_at``: the snapshot at 128 steps of a 256-step run is the final state of a 128-step run."""
    spec = replace(get_agent("clustering", "dcat"), config={"n_envs": 8})
    long_run = train_agent(spec, steps=256, output=str(tmp_path / "l.pt"), progress=False, save_at=(128,))
    short_run = train_agent(spec, steps=128, output=str(tmp_path / "s.pt"), progress=False)
    snapshot = torch.load(tmp_path / "l-step128.pt", weights_only=True)
    short = torch.load(short_run, weights_only=True)
    assert snapshot["global_step"] == short["global_step"] == 128
    assert torch.load(long_run, weights_only=True)["global_step"] == 256
    for name, weights in short["policy"].items():
        assert torch.equal(snapshot["policy"][name], weights), name
    assert json.loads(long_run.with_suffix(".json").read_text())["commands"][0].endswith("--save-at 128")


def test_cli_train_writes_checkpoint_and_record(tmp_path, capsys):
    out = tmp_path / "d.pt"
    main(["train", "clustering", "--method", "dcat", "--steps", "256", "--seed", "3", "-o", str(out), "--quiet"])
    assert capsys.readouterr().err == f"wrote {out} and {out.with_suffix('.json')}\n"
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["commands"] == [f"cpnopt train clustering --method dcat --device cpu --steps 256 --seed 3 -o {out}"]
    assert record["steps"] >= 256 and record["torch"] == torch.__version__
    sol = cpnopt.solve(cpnopt.generate("clustering", seed=2), "dcat", checkpoint=str(out))
    assert sol.feasible


@pytest.mark.parametrize(
    "args, field",
    [
        (["--method", "km-rea"], "--method"),
        (["--method", "dcat", "--device", "tpu"], "--device"),
        (["--method", "dcat", "--steps", "0"], "--steps"),
        (["--method", "dcat", "--resume", "-o", "/nonexistent/x.pt"], "--resume"),
        (["--method", "dcat", "--save-at", "20"], "--save-at"),
    ],
)
def test_cli_train_errors_are_one_line(args, field, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "clustering", *(["--steps", "10"] if "--steps" not in args else []), *args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {field}")
