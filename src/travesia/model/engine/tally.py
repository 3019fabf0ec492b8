"""Single-pass numba kernels over the agent arrays: picking agents by state, and counting them."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _select(state, a, b, c):
    out = np.empty(state.shape[0], dtype=np.int64)
    k = 0
    for i in range(state.shape[0]):
        s = state[i]
        if s == a or s == b or s == c:
            out[k] = i
            k += 1
    return out[:k].copy()


def select_states(state: np.ndarray, *wanted: int) -> np.ndarray:
    """Indices of agents in any of (up to three) wanted states, in slot order."""
    w = list(wanted) + [wanted[-1]] * (3 - len(wanted))
    return _select(state, np.int8(w[0]), np.int8(w[1]), np.int8(w[2]))


@njit(cache=True, nogil=True)
def tally_agents(state, place, crossing, column_of_state, level_of_state, counts, levels):
    """counts[place, column] and levels[crossing, level] of live agents; returns how many are
    live."""
    live = 0
    for i in range(state.shape[0]):
        s = state[i]
        col = column_of_state[s]
        if col < 0:
            continue
        live += 1
        counts[place[i], col] += 1
        lev = level_of_state[s]
        if lev >= 0 and crossing[i] >= 0:
            levels[crossing[i], lev] += 1
    return live
