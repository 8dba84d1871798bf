"""Serve a bundled mirror site: python -m mirror [--site cdd-mirror] [--port 8765] [--routes ...]."""

from __future__ import annotations

import argparse
import logging

from mirror.server import make_server
from mirror.site import ROUTES, MirrorSite


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m mirror", description=__doc__)
    parser.add_argument("--site", default="cdd-mirror", help="bundled site name or a site folder")
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--routes", default=",".join(sorted(ROUTES)), help="discovery routes the site offers")
    parser.add_argument("--prerender", action="store_true", help="render every article once at start (benchmarks)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    site = MirrorSite(args.site, frozenset(r for r in args.routes.split(",") if r))
    server = make_server(site, args.port)
    root = f"http://127.0.0.1:{server.server_address[1]}/"
    if args.prerender:
        site.cache = {}
        for path in site.by_path:
            site.respond(path, root)
        site.log.clear()
    print(f"serving {args.site} at {root}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
