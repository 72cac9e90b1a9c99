#!/usr/bin/python3
"""Optuna on the studio's mixed-precision search problem, for the comparison in bench/search.bench.ts.

Runs Optuna's NSGAIISampler or TPESampler (multi-objective; or RandomSampler) over the *same* space,
objectives, constraints, fidelity and evaluator as `mx-studio search`, by driving
`mx-studio objective` (src/cli/search.ts): the CLI loads the model once, prints a header line with
the genes (pattern + menu of format specs), the objectives and their directions, then answers one
JSON line per genome. Optuna only chooses the genomes; the CLI evaluates, records every trial and at
end of input writes results.json in the format of `mx-studio search`, with the front and the
hypervolume against the same reference-point rule. So the two files are comparable line for line.

Usage (Debian: apt-get install python3-optuna; Optuna 3.1):
  /usr/bin/python3 tools/optuna/optuna_search.py --sampler nsga2 --trials 200 --seed 1 --out r.json \\
      -- --model public/models/sotu-llama-1m --objectives perplexity,energy_pj [--tokens 1024 ...]

Everything after `--` is passed to `mx-studio objective` (the problem flags of `mx-studio search`).
Every gene is a categorical parameter (suggest_categorical over its menu's spec strings), like the
studio's strategies; `--params int` uses suggest_int over the menu index instead (ordinal, what
MASE's search does). Samplers use Optuna's defaults (NSGA-II population 50, TPE 10 startup trials,
24 EI candidates) with the given seed, so a seed reproduces the run.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sampler", choices=["nsga2", "tpe", "random"], required=True)
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, help="results.json (written by mx-studio objective)")
    ap.add_argument("--params", choices=["categorical", "int"], default="categorical")
    ap.add_argument("--node", default="node")
    ap.add_argument("--cli", default=os.path.join(ROOT, "bin", "mx-studio.mjs"))
    ap.add_argument("problem", nargs=argparse.REMAINDER, help="-- then mx-studio objective flags")
    a = ap.parse_args()
    problem = a.problem[1:] if a.problem[:1] == ["--"] else a.problem
    if "--out" in problem or "--label" in problem or "--seed" in problem:
        print("optuna_search: error: pass --out and --seed before --, not to mx-studio objective", file=sys.stderr)
        return 2
    if a.trials < 1:
        print("optuna_search: error: --trials must be ≥ 1", file=sys.stderr)
        return 2
    try:
        import optuna
    except ImportError:
        print("optuna_search: error: Optuna is not installed (apt-get install python3-optuna)", file=sys.stderr)
        return 3
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    label = f"optuna-{a.sampler}"
    cmd = [a.node, a.cli, "objective", *problem, "--out", a.out, "--label", label, "--seed", str(a.seed)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    header_line = proc.stdout.readline()
    if not header_line:
        return proc.wait() or 2  # the CLI printed its one-line error on stderr
    header = json.loads(header_line)
    genes = header["genes"]
    directions = ["minimize" if o["direction"] == "min" else "maximize" for o in header["objectives"]]

    constraints_func = None
    if header["constraints"]:
        # Optuna: a trial is feasible when every value is ≤ 0; the CLI reports Σ relative overruns
        constraints_func = lambda t: [t.user_attrs["violation"]]  # noqa: E731

    if a.sampler == "nsga2":
        sampler = optuna.samplers.NSGAIISampler(seed=a.seed, constraints_func=constraints_func)
    elif a.sampler == "tpe":
        sampler = optuna.samplers.TPESampler(seed=a.seed, constraints_func=constraints_func)
    else:
        sampler = optuna.samplers.RandomSampler(seed=a.seed)
    study = optuna.create_study(directions=directions, sampler=sampler)

    def objective(trial):
        if a.params == "int":
            params = {g["pattern"]: trial.suggest_int(g["pattern"], 0, len(g["choices"]) - 1) for g in genes}
        else:
            params = {g["pattern"]: trial.suggest_categorical(g["pattern"], g["choices"]) for g in genes}
        proc.stdin.write(json.dumps({"params": params, "tag": trial.number}) + "\n")
        proc.stdin.flush()
        r = json.loads(proc.stdout.readline())
        if r["type"] != "result":
            raise RuntimeError(f"mx-studio objective: {r.get('error')}")
        trial.set_user_attr("violation", r["violation"])
        return tuple(float("inf") if v is None else v for v in r["values"])

    study.optimize(objective, n_trials=a.trials)
    proc.stdin.close()
    rc = proc.wait()
    if rc != 0:
        print(f"optuna_search: mx-studio objective exited with {rc}", file=sys.stderr)
        return rc
    print(f"optuna_search: {label} seed {a.seed}: {a.trials} trials, results in {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
