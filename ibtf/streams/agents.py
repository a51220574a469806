"""Paired streams from tf-agents: an environment and a policy, run by a driver into a replay
buffer, give one row per step (action, reward, observation), and TEB windows straight from
the buffer as a ``tf.data.Dataset``.

The transfer measured on such data is ``TE(A -> O_j) = I(O_j,t+1; A_t-L+1..t | O_j,t-L+1..t)``:
how much the agent's actions tell about the next observation beyond that observation's own
past (Schreiber 2000). In CartPole the action is the force's sign, so it enters every velocity
at the next step; a placebo source that keeps the actions' law but not their link to the
observations must show a transfer of 0.

A within-episode shuffle is not such a placebo on short episodes: the shuffled history window
often holds the action actually taken at the last step (in about 4 of every n windows of an
n-step episode), and every window keeps its episode's share of each action. `placebo_actions`
takes the actions of an independent run of the same policy instead: independent of the rows'
observations by construction.
"""
import contextlib
import importlib
import io

__all__ = ["POLICIES", "buffer_rows", "buffer_windows_dataset", "collect", "import_tf_agents",
           "independent_seed", "placebo_actions"]


def import_tf_agents(module=None):
    """Imports ``tf_agents`` (or ``tf_agents.<module>``), keeping gym's start-up notice off
    stderr (the CLI's stderr carries only errors). Raises ImportError with the fix when the
    ``agents`` extra is not installed."""
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            import tf_agents  # noqa: F401
            return importlib.import_module(f"tf_agents.{module}" if module else "tf_agents")
    except ImportError as error:
        raise ImportError(f"tf-agents is needed here ({error}): pip install 'ibtf[agents]'") \
            from error


POLICIES = ("random",)
_FIRST = 0      # tf_agents.trajectories.StepType.FIRST


def collect(env="CartPole-v1", policy="random", steps=1000, seed=0):
    """Runs a tf-agents environment and policy through a driver into a replay buffer.

    ``suite_gym.load(env)`` wrapped as a ``TFPyEnvironment``, a ``RandomTFPolicy``, a
    ``DynamicStepDriver`` for ``steps`` steps (episodes restart as they end; each boundary adds
    the episode's terminal observation as one more row) and a ``TFUniformReplayBuffer`` that
    keeps every trajectory in order.

    Args:
      env: a gym environment id with a discrete or continuous 1-D action and a 1-D observation.
      policy: ``"random"`` (uniform over the action spec).
      steps: driver steps. seed: seeds the environment and the policy.

    Returns:
      The replay buffer (its items are ``Trajectory``s; see `buffer_rows`).
    """
    if policy not in POLICIES:
        raise ValueError(f"policy={policy!r} is not known: use one of {POLICIES}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps={steps!r} must be an integer >= 2")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    suite_gym = import_tf_agents("environments.suite_gym")
    tf_py_environment = import_tf_agents("environments.tf_py_environment")
    random_tf_policy = import_tf_agents("policies.random_tf_policy")
    buffers = import_tf_agents("replay_buffers.tf_uniform_replay_buffer")
    driver = import_tf_agents("drivers.dynamic_step_driver")
    import gym
    from ibtf._keras import tf
    try:
        py_env = suite_gym.load(env)
    except gym.error.Error as error:
        raise ValueError(f"env={env!r} is not a gym environment here ({error}): try "
                         "CartPole-v1") from None
    obs_spec = py_env.observation_spec()
    if len(obs_spec.shape) != 1:
        raise ValueError(f"env={env!r} has observations of shape {obs_spec.shape}; rows need a "
                         "1-D observation vector")
    py_env.seed(seed)
    tf.random.set_seed(seed)
    tf_env = tf_py_environment.TFPyEnvironment(py_env)
    agent_policy = random_tf_policy.RandomTFPolicy(tf_env.time_step_spec(), tf_env.action_spec())
    # Boundary steps (terminal -> first) are not counted by the driver: room for them too.
    buffer = buffers.TFUniformReplayBuffer(agent_policy.trajectory_spec, batch_size=1,
                                           max_length=2 * steps + 16)
    run = driver.DynamicStepDriver(tf_env, agent_policy, observers=[buffer.add_batch],
                                   num_steps=steps).run
    common = import_tf_agents("utils.common")
    common.function(run)()                 # one graph loop (tf-agents' tf.function, no autograph)
    return buffer


def _trajectories(buffer):
    """The buffer's items in the order they were added (one deterministic pass)."""
    from ibtf._keras import tf
    n = int(buffer.num_frames())
    data = buffer.as_dataset(single_deterministic_pass=True).batch(max(n, 1))
    items = next(iter(data))[0]
    return tf.nest.map_structure(lambda t: t.numpy(), items)


def buffer_rows(buffer):
    """One row per step: ``episode``, ``step``, ``action``, ``reward``, ``obs_0..obs_{k-1}``.

    ``episode`` counts from 0 and grows at each FIRST step; ``step`` counts within the episode;
    ``action`` is the action taken after observing ``obs`` (its effect shows in the next row),
    ``reward`` the reward it earned.
    """
    import numpy as np
    import pandas as pd
    traj = _trajectories(buffer)
    first = np.asarray(traj.step_type) == _FIRST
    episode = np.cumsum(first) - 1 if first.any() and first[0] else np.cumsum(first)
    start = np.maximum.accumulate(np.where(first, np.arange(len(first)), 0))
    obs = np.asarray(traj.observation, np.float64).reshape(len(first), -1)
    action = np.asarray(traj.action)
    if action.ndim > 1:
        if action.reshape(len(first), -1).shape[1] != 1:
            raise ValueError("rows hold one action column: the environment's action must be a "
                             "scalar")
        action = action.reshape(-1)
    frame = pd.DataFrame({"episode": episode, "step": np.arange(len(first)) - start,
                          "action": action, "reward": np.asarray(traj.reward, np.float64)})
    for j in range(obs.shape[1]):
        frame[f"obs_{j}"] = obs[:, j]
    return frame


def independent_seed(seed):
    """The seed of the placebo's independent run: another stream than ``seed`` (and than the
    small seeds a user runs next to it), derived with numpy's ``SeedSequence``."""
    import numpy as np
    return int(np.random.SeedSequence([int(seed), 0x91ACEB0]).generate_state(1)[0] % (2**31 - 1))


def placebo_actions(rows, env="CartPole-v1", policy="random", seed=0):
    """The rows with their ``action`` column replaced by the actions of an independent run.

    The same environment and policy are run again (`collect`) from another seed
    (`independent_seed`), and its actions, in the order taken, are laid over ``rows`` in
    order: each episode gets a stretch of the other run's actions as long as itself. The
    other run shares no random draw with these rows (environment resets and policy draws come
    from another seed), so the placebo carries no information about the observations by
    construction, while keeping the policy's actions: exactly their joint law for a policy
    without memory (the random one, whose actions are i.i.d.), and each stretch's dynamics up
    to the other run's episode seams otherwise. The placebo's transfer to any observation is
    0, and a test that claims it has a false positive (a within-episode shuffle is not such a
    null; see the module notes).

    Args:
      rows: a frame of `buffer_rows` (the run to be given placebo actions).
      env, policy: those of the run. seed: the run's seed (the placebo's is derived from it).

    Returns:
      A copy of ``rows`` with the placebo actions.
    """
    other = buffer_rows(collect(env, policy, steps=len(rows) + 1, seed=independent_seed(seed)))
    if len(other) < len(rows):          # boundary rows only add rows: never, but say so
        raise RuntimeError(f"the independent run gave {len(other)} rows for {len(rows)}")
    return rows.assign(action=other["action"].to_numpy()[:len(rows)])


def buffer_windows_dataset(buffer, source="action", target="obs_1", *, history=4, horizon=1,
                           batch_size=64, shuffle=True, seed=0, drop_remainder=True):
    """TEB windows straight from a replay buffer, as the ``tf.data.Dataset`` that
    `TEBForecaster.fit` takes (no CSV round trip), and the `StreamScaler` of its rows.

    Windows lie within one episode: ``x[s:s+L]`` (``source``), ``y[s:s+L]`` -> ``y[s+L:s+L+H]``
    (``target``). Columns are those of `buffer_rows`.

    Returns:
      ``(dataset, scaler)``: batches ``({'source_history', 'target_history'}, target_future)``.
    """
    import numpy as np

    from ibtf.streams.dataset import windows_dataset
    from ibtf.streams.scaling import StreamScaler
    from ibtf.streams.windows import valid_window_starts
    rows = buffer_rows(buffer)
    cols = []
    for name, value in (("source", source), ("target", target)):
        value = [value] if isinstance(value, str) else list(value)
        unknown = [c for c in value if c not in rows.columns or c in ("episode", "step")]
        if unknown:
            raise ValueError(f"{name}={unknown} are not row columns: pick from "
                             f"{list(rows.columns[2:])}")
        cols.append(value)
    src = rows[cols[0]].to_numpy(np.float32)
    tgt = rows[cols[1]].to_numpy(np.float32)
    segment = rows["episode"].to_numpy()
    starts = valid_window_starts(segment, np.zeros(len(rows), np.int8), history, horizon, 0)
    dataset = windows_dataset(src, tgt, starts, history, horizon, batch_size=batch_size,
                              shuffle=shuffle, seed=seed, drop_remainder=drop_remainder)
    return dataset, StreamScaler.fit(src, tgt)
