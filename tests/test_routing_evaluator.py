"""The routing evaluator: hand-computed delays and profit, and every planted violation flagged."""

import dataclasses

import pytest
from test_routing_fixtures import small

import cpnopt
from cpnopt.problems.routing import (
    Economics,
    Frame,
    Link,
    Node,
    RoutingDecision,
    RoutingInstance,
    Task,
    TaskRoute,
    User,
    evaluate,
    evaluate_detailed,
)

# router 0 — node 1 (2 TFLOPs) — node 2 (10 TFLOPs); k = ⌈5 Mb / b / 0.1 s⌉: 5 slots on 0-1, 2 slots on 1-2
LINE = RoutingInstance(
    nodes=(Node(0.0), Node(2.0), Node(10.0)),
    links=(Link(0, 1, 10.0), Link(1, 2, 25.0)),
    users=(User(0), User(0)),
    frames=(Frame(100.0, (1.0, 1.0, 0.5)),),
    tasks=(Task(0, 0, 1.0, 5.0, 2.0), Task(1, 0, 1.0, 5.0, 2.0)),
    slot_s=0.1,
    switch_slots=1,
    economics=Economics(base_price=0.5, urgency=2.0, time_coef=0.2, energy_coef=1e-4),
)
# task 0 → node 1 leaving at slot 1; task 1 → node 2 waits for link 0-1 until slot 6, then link 1-2 at slot 12
GOOD = RoutingDecision((TaskRoute(1, (0, 1), (1,)), TaskRoute(2, (0, 1, 2), (6, 12))))


def with_route(task, route, base=GOOD):
    routes = list(base.routes)
    routes[task] = route
    return RoutingDecision(tuple(routes))


def test_hand_computed_delays_revenue_and_cost():
    detail = evaluate_detailed(LINE, GOOD)
    ev = detail.evaluation
    assert ev.feasible, ev.violations
    d0, d1 = detail.delays
    assert (d0.transmission_s, d0.offset_s, d0.computation_s, d0.total_s) == pytest.approx((0.6, 0.0, 0.5, 1.1))
    # transmission (1 + 5) + (1 + 2) slots, waits 5 slots for task 0, computes 1/10 s
    assert (d1.transmission_s, d1.offset_s, d1.computation_s, d1.total_s) == pytest.approx((0.9, 0.5, 0.1, 1.5))
    revenue = 0.5 * (1 + 2 / 1.1) + 0.5 * (1 + 2 / 1.5)  # Eq. (3)
    cost = (0.01 * 1.0 * 4 + 0.2 / 2) + (0.01 * 0.5 * 100 + 0.2 / 10)  # Eq. (5), i_e = 1e-4 · 100 €/MWh
    assert ev.metrics["revenue"] == pytest.approx(revenue)
    assert ev.metrics["energy_cost"] == pytest.approx(cost)
    assert ev.objective == pytest.approx(revenue - cost)
    assert ev.metrics["mean_delay_s"] == pytest.approx(1.3)
    assert ev.metrics["mean_offset_s"] == pytest.approx(0.25)


PLANTED = {
    "overlap on a link": (with_route(1, TaskRoute(2, (0, 1, 2), (3, 9))), "overlap (Eq. 12–13)"),
    "broken path (no link)": (with_route(1, TaskRoute(2, (0, 2), (6,))), "share no link"),
    "path from the wrong node": (with_route(0, TaskRoute(2, (1, 2), (1,))), "broken path"),
    "loop": (with_route(0, TaskRoute(1, (0, 1, 0, 1), (1, 7, 13))), "loop"),
    "latency over l_u": (with_route(1, TaskRoute(2, (0, 1, 2), (14, 20))), "Eq. 14"),
    "forwarding before received": (with_route(1, TaskRoute(2, (0, 1, 2), (6, 11))), "Eq. 11"),
    "leaving before switching": (with_route(0, TaskRoute(1, (0, 1), (0,))), "Eq. 11"),
    "router as destination": (with_route(0, TaskRoute(0, (0,), ())), "router"),
    "rejected task with a route": (with_route(0, TaskRoute(None, (0, 1), (1,))), "rejected but has a path"),
    "missing start slot": (with_route(1, TaskRoute(2, (0, 1, 2), (6,))), "start slots for 2 links"),
    "unknown destination": (with_route(1, TaskRoute(7, (0, 1, 7), (6, 12))), "does not exist"),
    "wrong number of routes": (RoutingDecision(GOOD.routes[:1]), "routes has 1 entries"),
}


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_planted_violation_is_flagged(kind):
    decision, text = PLANTED[kind]
    ev = evaluate(LINE, decision)
    assert not ev.feasible
    assert any(text in v for v in ev.violations), ev.violations


def test_rejecting_everything_is_feasible_and_earns_nothing():
    ev = evaluate(LINE, RoutingDecision((TaskRoute(None), TaskRoute(None))))
    assert ev.feasible and ev.objective == 0.0 and ev.metrics["acceptance_rate"] == 0.0


def test_solve_flags_a_method_whose_solution_the_evaluator_rejects():
    inst = small(0)
    sol = cpnopt.solve(inst, "milp")
    served = next(u for u, r in enumerate(sol.decision.routes) if len(r.path) > 1)
    r = sol.decision.routes[served]
    late = dataclasses.replace(r, start_slots=tuple(s + 100 for s in r.start_slots))
    assert not evaluate(inst, with_route(served, late, sol.decision)).feasible


def test_delay_parts_add_up_on_a_generated_instance():
    inst = small(1)
    detail = evaluate_detailed(inst, cpnopt.solve(inst, "milp").decision)
    for d in detail.delays:
        if d is not None:
            assert d.transmission_s + d.offset_s + d.computation_s == pytest.approx(d.total_s)
            assert d.offset_s >= -1e-12
