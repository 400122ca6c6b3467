"""The node's model server process (``python -m selfcast.brain.llm.serve``), started by ``LocalLLM``.

Its configuration comes in ``SELFCAST_LLM_CONFIG`` (JSON: model, slots, ctx, threads, port) and its
key in ``SELFCAST_LLM_KEY``, never on the command line. It serves until SIGTERM, or until the
process that started it is gone.
"""

from __future__ import annotations

import json
import os
import signal
import threading

PARENT_CHECK_S = 2.0


def main() -> None:
    import xllamacpp

    config = json.loads(os.environ["SELFCAST_LLM_CONFIG"])
    p = xllamacpp.CommonParams()
    p.model.path = config["model"]
    p.n_parallel = int(config["slots"])
    p.n_ctx = int(config["ctx"])
    p.cpuparams.n_threads = int(config["threads"])
    p.cpuparams_batch.n_threads = int(config["threads"])
    p.api_keys = [os.environ["SELFCAST_LLM_KEY"]]
    p.hostnames = ["127.0.0.1"]
    p.port = int(config["port"])
    p.verbosity = -1
    p.warmup = False
    p.cache_prompt = True
    p.n_threads_http = max(4, int(config["slots"]) * 2)
    # only the chat API: no web UI, no slot/props/metrics pages on the node's loopback port
    p.ui = False
    p.endpoint_slots = False
    p.endpoint_props = False
    p.endpoint_metrics = False
    parent = os.getppid()
    server = xllamacpp.Server(p)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # the node that started it may die without closing it (SIGKILL, a crash): a model nobody can
    # reach must not hold a gigabyte and two cores, so it leaves when its parent is gone
    while not stop.wait(PARENT_CHECK_S):
        if os.getppid() != parent:
            break
    del server


if __name__ == "__main__":
    main()
