#!/usr/bin/env python3
"""M/M/c in Ciw: the peer of familyflow's scenarios/validation/mmc.toml.

Poisson arrivals at LAMBDA an hour, c servers, exponential service with mean
1/MU hours, run for HOURS hours. Counts three kinds of model events, as in
every engine of benches/peers/compare.sh: arrivals, service starts and
departures. Prints one line of key=value pairs:

    engine=ciw hours=40000 arrivals=... starts=... departures=...
    model_events=... seconds=... events_per_s=... mean_wait_min=...

Only simulate_until_max_time() is timed. Counting afterwards: departures are
the service records; service starts add those still in service at the end;
arrivals add those still waiting.
"""

import argparse
import time

import ciw


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hours", type=float, default=40_000)
    p.add_argument("--arrival-rate", type=float, default=9.0, help="per hour")
    p.add_argument("--service-rate", type=float, default=1.0, help="per hour")
    p.add_argument("--servers", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=a.arrival_rate)],
        service_distributions=[ciw.dists.Exponential(rate=a.service_rate)],
        number_of_servers=[a.servers],
    )
    ciw.seed(a.seed)
    sim = ciw.Simulation(network)
    t0 = time.perf_counter()
    sim.simulate_until_max_time(a.hours)
    secs = time.perf_counter() - t0

    records = [r for r in sim.get_all_records() if getattr(r, "record_type", "service") == "service"]
    departures = len(records)
    node = sim.nodes[1]
    in_service = sum(1 for s in node.servers if s.cust is not False)
    present = len(node.all_individuals)
    starts = departures + in_service
    arrivals = departures + present
    events = arrivals + starts + departures
    mean_wait = 60 * sum(r.waiting_time for r in records) / max(departures, 1)
    print(
        f"engine=ciw hours={a.hours:g} arrivals={arrivals} starts={starts} "
        f"departures={departures} model_events={events} seconds={secs:.4f} "
        f"events_per_s={events / secs:.0f} mean_wait_min={mean_wait:.2f}"
    )


if __name__ == "__main__":
    main()
