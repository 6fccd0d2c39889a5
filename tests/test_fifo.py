import numpy as np

from cpnopt.fifo import fifo_schedule


def test_fifo_serves_by_release_and_waits_for_busy_queue():
    s = fifo_schedule(np.array([2.0, 0.0, 0.5]), np.array([1.0, 1.0, 1.0]))
    assert list(s.order) == [1, 2, 0]
    assert np.allclose(s.start_s, [2.0, 0.0, 1.0])
    assert np.allclose(s.completion_s, [3.0, 1.0, 2.0])


def test_fifo_ties_go_by_index_and_backlog_delays_first_job():
    s = fifo_schedule(np.array([1.0, 1.0]), np.array([2.0, 1.0]), backlog_s=1.5)
    assert list(s.order) == [0, 1]
    assert np.allclose(s.completion_s, [3.5, 4.5])
