#!/usr/bin/python3
"""Runs the reference's ar1star_lat_replay.py unchanged, with numpy's global generator seeded.

    /usr/bin/python3 tools/reference-trace/seeded_reference.py --reference REF --root ROOT \
        --seed S --batches N --weights PTH [--name SECTION]

Run it in the folder that holds params.cfg (the script reads ./params.cfg). It changes no line
of the reference and no value it computes; before `runpy` runs the script as __main__ it:
- seeds numpy's global generator with --seed (the reference never seeds; its only random draws
  are np.random.shuffle and np.random.choice, see docs/fidelity.md#what-the-seed-reaches);
- points data_loader.CORE50 at --root (the script hard-codes /home/admin/ssd_data/core50) and
  stops its iteration after --batches batches (the script runs every batch of the scenario);
- makes pytorchcv importable from standins/ (pytorchcv's mobilenet_w1 layout, loading --weights);
- gives torch.utils.tensorboard a no-op SummaryWriter when tensorboard is not installed (the
  script only logs to it).
The accuracies are the script's own "Accuracy:" lines on stdout.
"""
import argparse
import os
import runpy
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reference", required=True, help="a checkout of vlomonaco/ar1-pytorch")
    p.add_argument("--root", required=True, help="a CORe50 root in the reference's form (PNG tree, paths.pkl, LUP.pkl, labels.pkl)")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--batches", type=int, required=True)
    p.add_argument("--weights", required=True, help="a state dict with pytorchcv's mobilenet_w1 keys")
    p.add_argument("--name", default="DEFAULT", help="the params.cfg section (the script's --name)")
    args = p.parse_args()

    reference = os.path.abspath(args.reference)
    sys.path.insert(0, os.path.join(HERE, "standins"))
    sys.path.insert(0, reference)
    os.environ["AR1_TRACE_WEIGHTS"] = os.path.abspath(args.weights)
    try:
        import torch.utils.tensorboard  # noqa: F401
    except ImportError:
        import silent_tensorboard
        silent_tensorboard.install()

    import data_loader  # the reference's own
    loader_init = data_loader.CORE50.__init__
    root = os.path.abspath(args.root)

    def init(self, root_ignored="", *a, **k):
        k.pop("root", None)
        loader_init(self, root, *a, **k)

    data_loader.CORE50.__init__ = init
    data_loader.CORE50.nbatch = {k: min(v, args.batches) for k, v in data_loader.CORE50.nbatch.items()}

    np.random.seed(args.seed)
    sys.argv = ["ar1star_lat_replay.py", "--name", args.name]
    runpy.run_path(os.path.join(reference, "ar1star_lat_replay.py"), run_name="__main__")


if __name__ == "__main__":
    main()
