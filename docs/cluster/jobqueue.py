"""Grade a class on a Slurm or PBS cluster: dask-jobqueue submits the Dask workers as batch
jobs, this script runs their scheduler and grades with ``--scheduler`` (see
docs/grading-on-a-cluster.md).

    # what would be submitted (no cluster needed):
    python docs/cluster/jobqueue.py slurm --print-job-script --python /shared/cnn-course/.venv/bin/python

    # grade on 8 jobs of 2 cores each (16 single-threaded workers), from a login node:
    python docs/cluster/jobqueue.py slurm --jobs 8 --python /shared/cnn-course/.venv/bin/python \\
        --account my-account --queue short -- ~/class/submitted ~/class/grades --timeout 900

Everything after ``--`` goes to ``python -m grading.autograde`` (``SUBMISSIONS OUT`` and its
options). Each job runs one Dask worker per core, one thread each: one submission per core
at a time, its kernel pinned to one thread (as ``--workers`` does on one machine).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def make_cluster(args: argparse.Namespace) -> Any:
    """A ``SLURMCluster`` or ``PBSCluster`` whose jobs each run ``--cores`` single-threaded
    Dask workers from the course environment ``--python``."""
    from dask_jobqueue import PBSCluster, SLURMCluster

    kind = {"slurm": SLURMCluster, "pbs": PBSCluster}[args.system]
    options: dict[str, Any] = {
        "cores": args.cores,
        "processes": args.cores,  # one worker per core, one thread per worker
        "memory": args.memory,
        "walltime": args.walltime,
        "python": args.python,
        "local_directory": args.local_directory,
        "job_name": "cnn-grade",
        "scheduler_options": {"dashboard_address": None},
        # the course environment's settings for grading (as `make grade` sets them)
        "job_script_prologue": ["export COURSE_PROFILE=quick COURSE_OFFLINE=1 MPLBACKEND=Agg"],
    }
    if args.queue:
        options["queue"] = args.queue
    if args.account:
        options["account"] = args.account
    return kind(**options)


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    argv = list(sys.argv[1:] if argv is None else argv)
    grading = argv[argv.index("--") + 1 :] if "--" in argv else []
    mine = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system", choices=("slurm", "pbs"))
    parser.add_argument("--jobs", type=int, default=4, help="batch jobs (machines) to run")
    parser.add_argument("--cores", type=int, default=2, help="cores per job (default 2)")
    parser.add_argument("--memory", default="16GB", help="memory per job (default 16GB)")
    parser.add_argument("--walltime", default="02:00:00", help="per job (default 2 hours)")
    parser.add_argument("--queue", help="partition (Slurm) or queue (PBS)")
    parser.add_argument("--account", help="account or project to charge")
    parser.add_argument(
        "--python", default=sys.executable, help="the course environment's Python on the nodes"
    )
    parser.add_argument(
        "--local-directory", default="$TMPDIR", help="node-local scratch for the workers"
    )
    parser.add_argument("--print-job-script", action="store_true", help="print it and stop")
    return parser.parse_args(mine), grading


def main(argv: list[str] | None = None) -> int:
    args, grading = parse_args(argv)
    cluster = make_cluster(args)
    try:
        if args.print_job_script:
            print(cluster.job_script())
            return 0
        if len(grading) < 2:
            print("give SUBMISSIONS and OUT after --", file=sys.stderr)
            return 2
        from grading import autograde

        cluster.scale(jobs=args.jobs)
        return autograde.main([*grading, "--scheduler", cluster.scheduler_address])
    finally:
        cluster.close()


if __name__ == "__main__":
    sys.exit(main())
