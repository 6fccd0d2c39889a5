"""Reinforcement learning, family-free: networks, rollouts, A2C/PPO/DQN, training sessions, the
policy-serving helper (:mod:`.serving`) and the bundled checkpoints. Family agents live in
``cpnopt.solvers.<family>.agents``."""
