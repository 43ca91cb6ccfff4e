#!/usr/bin/env python3
"""M/M/c in SimPy: the peer of familyflow's scenarios/validation/mmc.toml.

Poisson arrivals at LAMBDA an hour, c servers, exponential service with mean
1/MU hours, run for HOURS hours. Counts three kinds of model events, as in
every engine of benches/peers/compare.sh: arrivals, service starts and
departures. Prints one line of key=value pairs:

    engine=simpy hours=40000 arrivals=... starts=... departures=...
    model_events=... seconds=... events_per_s=... mean_wait_min=...

Only env.run() is timed (not the import or the model's construction).
"""

import argparse
import random
import time

import simpy


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hours", type=float, default=40_000)
    p.add_argument("--arrival-rate", type=float, default=9.0, help="per hour")
    p.add_argument("--service-rate", type=float, default=1.0, help="per hour")
    p.add_argument("--servers", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    rng = random.Random(a.seed)
    env = simpy.Environment()
    team = simpy.Resource(env, capacity=a.servers)
    counts = {"arrivals": 0, "starts": 0, "departures": 0}
    waited = [0.0]

    def family(env: simpy.Environment):
        arrived = env.now
        with team.request() as req:
            yield req
            counts["starts"] += 1
            waited[0] += env.now - arrived
            yield env.timeout(rng.expovariate(a.service_rate))
        counts["departures"] += 1

    def arrivals(env: simpy.Environment):
        while True:
            yield env.timeout(rng.expovariate(a.arrival_rate))
            counts["arrivals"] += 1
            env.process(family(env))

    env.process(arrivals(env))
    t0 = time.perf_counter()
    env.run(until=a.hours)
    secs = time.perf_counter() - t0

    events = counts["arrivals"] + counts["starts"] + counts["departures"]
    mean_wait = 60 * waited[0] / max(counts["starts"], 1)
    print(
        f"engine=simpy hours={a.hours:g} arrivals={counts['arrivals']} "
        f"starts={counts['starts']} departures={counts['departures']} "
        f"model_events={events} seconds={secs:.4f} events_per_s={events / secs:.0f} "
        f"mean_wait_min={mean_wait:.2f}"
    )


if __name__ == "__main__":
    main()
