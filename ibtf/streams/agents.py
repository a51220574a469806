"""Paired streams from tf-agents: an environment and a policy, run by a driver into a replay
buffer, give one row per step (action, reward, observation), and TEB windows straight from
the buffer as a ``tf.data.Dataset``.

The transfer measured on such data is ``TE(A -> O_j) = I(O_j,t+1; A_t-L+1..t | O_j,t-L+1..t)``:
how much the agent's actions tell about the next observation beyond that observation's own
past (Schreiber 2000). In CartPole the action is the force's sign, so it enters every velocity
at the next step; a placebo with the actions shuffled within each episode keeps their marginal
distribution and removes the link, so its transfer must be 0.
"""
import contextlib
import importlib
import io

__all__ = ["import_tf_agents"]


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
