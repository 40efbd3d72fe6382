#!/usr/bin/python3
"""Differential trace: the reference's AR1* (ar1-pytorch, run unchanged from a path you give)
against ours (Ar1StarStrategy, through OursTrace.cs), phase by phase, on the same small inputs,
the same initial weights and the same random choices. See README.md beside this file.

    /usr/bin/python3 tools/reference-trace/trace.py --reference /tmp/ar1ref [--work /tmp/ar1-trace]
        [--seed 1] [--batches 4] [--tol 1e-3] [--skip-ours] [--key value ...]

1. Writes the inputs into WORK: images (uint8 128x128 RGB), labels, the batches (batch 0 of
   several classes, then one class per batch, as NICv2), a test set, the configuration.
2. Runs ours (dotnet run tools/reference-trace/OursTrace.cs), which dumps every phase's tensors
   and the random choices it made (the shuffle permutation, the rows kept for the memory, the
   memory slots overwritten) into WORK/ours.
3. Runs the reference's ar1star_lat_replay.py unchanged, in WORK/reference, with: a params.cfg
   section made of the configuration; a stand-in data_loader.CORE50 that yields the same
   batches; the pytorchcv stand-in in standins/ loading the same checkpoint; numpy's shuffle and
   choice answering with ours' choices; a no-op SummaryWriter. Observers (module hooks, wrappers
   around torch.optim.SGD, CrossEntropyLoss and the utils functions the script calls) compare each
   phase with ours as it happens and print the first phase where the two part.
"""

import argparse
import contextlib
import json
import os
import runpy
import subprocess
import sys
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SIDE = 128

# The trace's configuration: the spec's keys, small enough for a CPU and for every phase to
# happen a few times (r_max and d_max reach their caps within batch 0, the memory fills and is
# overwritten, momentum carries across batches).
CONFIG = {
    "init_lr": 0.01, "inc_lr": 0.005, "mb_size": 8, "init_train_ep": 2, "inc_train_ep": 2,
    "init_update_rate": 0.01, "inc_update_rate": 0.00005, "max_r_max": 1.25, "max_d_max": 0.5,
    "inc_step": 0.01, "rm_sz": 10, "momentum": 0.9, "l2": 0.0005,
    "freeze_below_layer": "lat_features.19.bn.beta", "latent_layer_num": 19, "reg_lambda": 0,
}


def make_inputs(work, seed, batches, args):
    """Images of coloured shapes on textured backgrounds, one look per class; batch 0 holds
    12 patterns of 3 classes, every later batch 6 patterns of one class, the test set 20."""
    rng = np.random.RandomState(1000 + seed)
    yy, xx = np.mgrid[0:SIDE, 0:SIDE].astype(np.float64)
    classes = [0, 5, 10] + [c for c in range(1, 50) if c not in (5, 10)]
    looks = {c: (rng.uniform(30, 220, 3), rng.uniform(0, 255, 3), rng.uniform(5, 14)) for c in classes[:batches + 4]}

    def image(c):
        base, fg, freq = looks[c]
        img = base[None, None, :] + 25 * np.sin(xx / freq + rng.uniform(0, 6))[..., None]
        cx, cy, r = rng.uniform(35, 93), rng.uniform(35, 93), rng.uniform(15, 30)
        img[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = fg
        img += rng.randint(-8, 9, size=img.shape)
        return np.clip(np.rint(img), 0, 255).astype(np.uint8)

    images, labels, plan = [], [], []

    def add(cls_list):
        idx = []
        for c in cls_list:
            images.append(image(c))
            labels.append(c)
            idx.append(len(labels) - 1)
        return idx

    plan.append(add([classes[k % 3] for k in range(12)]))
    for b in range(1, batches):
        plan.append(add([classes[2 + b]] * 6))
    test = add([classes[k % (batches + 2)] for k in range(20)])
    np.stack(images).tofile(os.path.join(work, "images.u8"))
    setup = {"seed": seed, "image_size": SIDE, "labels": labels, "batches": plan, "test": test,
             "config": CONFIG, "weights": args.weights, "latent_cache": not args.no_latent_cache,
             "cwr_unique_classes": args.cwr_unique_classes}
    with open(os.path.join(work, "setup.json"), "w") as f:
        json.dump(setup, f)
    return setup


class Trace:
    """Compares the reference's tensors with ours' dumps as the reference produces them."""

    def __init__(self, work, setup, tol):
        self.ours = os.path.join(work, "ours")
        self.setup = setup
        self.tol = tol
        self.first = None
        self.worst = {}
        self.batch = -1
        self.model = None
        self.in_eval = False
        self.test_logits = []
        self.blocks = {}

    # --- bookkeeping ---
    def load(self, *parts):
        return np.load(os.path.join(self.ours, "b%d" % self.batch, *parts))

    def choices(self):
        with open(os.path.join(self.ours, "b%d" % self.batch, "choices.json")) as f:
            return json.load(f)

    def compare(self, phase, ref, ours, kind=None):
        ref = np.asarray(ref.detach().cpu().numpy() if torch.is_tensor(ref) else ref, dtype=np.float64).reshape(-1)
        ours = np.asarray(ours, dtype=np.float64).reshape(-1)
        kind = kind or phase.split(" ")[-1].split(".")[0]
        if ref.shape != ours.shape:
            err = float("inf")
            detail = "sizes %d (reference) and %d (ours)" % (ref.size, ours.size)
        else:
            scale = max(np.abs(ref).max() if ref.size else 0.0, 1e-12)
            diff = np.abs(ref - ours)
            err = float(diff.max() / scale) if ref.size else 0.0
            # How many elements part: a few (a ReLU or clamp boundary crossed by a rounding
            # difference) reads differently from all of them (a different computation).
            far = int((diff > self.tol * scale).sum())
            detail = "max |ref - ours| / max |ref| = %.3g, %d of %d elements beyond the tolerance" % (err, far, ref.size)
        if err > self.worst.get(kind, (0.0, ""))[0] or kind not in self.worst:
            self.worst[kind] = (err, "batch %d, %s (%s)" % (self.batch, phase, detail.split(", ", 1)[-1]))
        if err > self.tol and self.first is None:
            self.first = "batch %d, %s: %s" % (self.batch, phase, detail)
            print("FIRST PARTING: " + self.first, file=sys.__stdout__, flush=True)
        return err

    # --- phases ---
    def begin_batch(self):
        self.batch += 1
        self.step = 0
        self.choice_calls = 0
        self.shuffle_calls = 0
        c = self.choices()
        self.perm = np.array(c["perm"], dtype=np.int64)
        self.rows = np.array(c["rows"], dtype=np.int64)
        self.slots = np.array(c["slots"], dtype=np.int64)
        self.iter_log = c["iterations"]
        n = len(self.setup["batches"][self.batch])
        padded = len(self.perm)
        extra = padded - n
        padded_index = np.array([j % n if j < extra else j - extra for j in range(padded)])
        self.order = padded_index[self.perm]  # original pattern index of each shuffled position
        cfg = self.setup["config"]
        if self.batch == 0:
            self.per_it, self.it_x_ep = cfg["mb_size"], padded // cfg["mb_size"]
        else:
            cur_sz = n // ((n + cfg["rm_sz"]) // cfg["mb_size"])
            self.per_it, self.it_x_ep = cur_sz, n // cur_sz
        self.lat_rows = []

    def preprocessed(self, x):
        if not self.in_eval:
            self.compare("preprocessed images", torch.as_tensor(np.ascontiguousarray(x)), self.load("pre.npy"), "preprocessed")

    def latents(self, out):
        if self.model is not None and self.model.training:
            self.lat_rows.append(out.detach().clone())

    def block_output(self, block, out):
        if self.model is not None and self.model.training and block in self.blocks:
            self.current_blocks[self.blocks[block]] = out.detach().clone()

    def loss(self, logits, target, loss):
        if self.model is not None and self.model.training:
            self.current_logits, self.current_loss = logits.detach().clone(), loss.detach().clone()
        else:
            self.test_logits.append(logits.detach().clone())

    def before_step(self, named):
        self.grads = {n: p.grad.detach().clone() for n, p in named if p.grad is not None}

    def after_step(self, named):
        ep, it = divmod(self.step, self.it_x_ep)
        d = "e%d_it%d" % (ep, it)
        tag = "it %d.%d" % (ep, it)
        lat = self.lat_rows[-1]
        new = self.order[it * self.per_it:(it + 1) * self.per_it]
        self.compare("%s lat_features output" % tag, lat, self.load("lat.npy")[new], "lat_features")
        for layer in sorted(self.current_blocks):
            self.compare("%s layer %d (conv, BRN, ReLU) output" % (tag, layer), self.current_blocks[layer],
                         self.load(d, "block%d.npy" % layer), "brn_output")
        self.compare("%s logits" % tag, self.current_logits, self.load(d, "logits.npy"), "logits")
        self.compare("%s loss" % tag, self.current_loss, [self.iter_log[self.step]["loss"]], "loss")
        for n, g in self.grads.items():
            self.compare("%s gradient of %s" % (tag, n), g, self.load(d, "grad.%s.npy" % n), "gradients")
        for n, p in named:
            if p.requires_grad:
                self.compare("%s %s after SGD" % (tag, n), p, self.load(d, "param.%s.npy" % n), "parameters")
        for block, layer in self.blocks.items():
            bn = block.bn
            self.compare("%s layer %d BRN running mean" % (tag, layer), bn.running_avg_mean, self.load(d, "mu.%d.npy" % layer), "brn_stats")
            self.compare("%s layer %d BRN running std" % (tag, layer), bn.running_avg_std, self.load(d, "sigma.%d.npy" % layer), "brn_stats")
            self.compare("%s layer %d r_max, d_max" % (tag, layer), [float(bn.r_max), float(bn.d_max)],
                         [self.iter_log[self.step]["r_max"], self.iter_log[self.step]["d_max"]], "brn_schedule")
        self.current_blocks = {}
        self.step += 1

    def consolidated(self, model):
        with open(os.path.join(self.ours, "b%d" % self.batch, "saved_classes.json")) as f:
            ours_classes = json.load(f)
        ref_classes = sorted(model.saved_weights.keys())
        self.compare("consolidated classes", ref_classes, ours_classes, "cwr_classes")
        saved = self.load("saved.npy")
        for c in ref_classes:
            if c in ours_classes:
                self.compare("consolidated weights of class %d" % c, np.asarray(model.saved_weights[c]), saved[c], "cwr_saved")

    def memory(self, rm):
        self.compare("replay memory labels", rm[1], self.load("memory_labels.npy"), "memory_labels")
        self.compare("replay memory activations", rm[0], self.load("memory.npy"), "memory_latents")

    def output_weights(self, model):
        self.compare("output weights after set_consolidate_weights", model.output.weight, self.load("output.npy"), "output_weights")

    def evaluated(self, acc):
        with open(os.path.join(self.ours, "b%d" % self.batch, "eval.json")) as f:
            ours = json.load(f)
        self.compare("test logits", torch.cat(self.test_logits), self.load("test_logits.npy"), "test_logits")
        self.compare("test accuracy", [acc], [ours["accuracy"]], "accuracy")
        print("batch %d: accuracy reference %.4f, ours %.4f" % (self.batch, acc, ours["accuracy"]), file=sys.__stdout__, flush=True)
        self.test_logits = []


def run_reference(reference, work, setup, trace):
    ref_cwd = os.path.join(work, "reference")
    os.makedirs(ref_cwd, exist_ok=True)
    with open(os.path.join(ref_cwd, "params.cfg"), "w") as f:
        f.write("[DEFAULT]\nexp_name = \"trace\"\ncomment = \"trace\"\nuse_cuda = False\nrm = None\n")
        for k, v in setup["config"].items():
            f.write("%s = %s\n" % (k, repr(v)))
    os.environ["AR1_TRACE_WEIGHTS"] = setup["weights"]
    sys.path.insert(0, os.path.join(HERE, "standins"))
    sys.path.insert(0, reference)

    # The data: the same batches, as float32 NHWC arrays and float32 labels, as CORE50 yields them.
    images = np.fromfile(os.path.join(work, "images.u8"), dtype=np.uint8).reshape(-1, SIDE, SIDE, 3)
    labels = np.array(setup["labels"], dtype=np.float32)

    class CORE50:
        def __init__(self, *a, **k):
            self.i = 0

        def __iter__(self):
            return self

        def __next__(self):
            if self.i == len(setup["batches"]):
                raise StopIteration
            idx = setup["batches"][self.i]
            self.i += 1
            return images[idx].astype(np.float32), labels[idx].copy()

        def get_test_set(self, reduced=True):
            idx = setup["test"]
            return images[idx].astype(np.float32), labels[idx].copy()

    sys.modules["data_loader"] = types.SimpleNamespace(CORE50=CORE50)

    import silent_tensorboard
    silent_tensorboard.install()

    # The random choices: ours', in the reference's calls.
    def shuffle(x):
        # shuffle_in_unison shuffles the images, then the labels, with the same state: the same permutation.
        x[...] = x[trace.perm].copy()

    def choice(n, size, replace=True):
        trace.choice_calls += 1
        chosen = trace.rows if trace.choice_calls == 1 else trace.slots
        assert not replace and len(chosen) == size, "the reference asked for %d of %d, ours chose %d" % (size, n, len(chosen))
        return chosen.copy()

    np.random.shuffle = shuffle
    np.random.choice = choice

    import utils  # the reference's, from its path
    import pytorchcv.models.common as cv_common
    from models import mobilenet as ref_mobilenet

    cv_common.observer = trace.block_output
    model_init = ref_mobilenet.MyMobilenetV1.__init__

    def init(self, *a, **k):
        model_init(self, *a, **k)
        trace.model = self
        self.lat_features.register_forward_hook(lambda m, i, o: trace.latents(o))
        first = len(self.lat_features)
        trace.blocks = {b: first + j for j, b in enumerate(self.end_features) if isinstance(b, cv_common.ConvBlock)}
        trace.current_blocks = {}

    ref_mobilenet.MyMobilenetV1.__init__ = init

    class TracedSGD(torch.optim.SGD):
        def step(self, closure=None):
            named = list(trace.model.named_parameters())
            trace.before_step(named)
            out = super().step(closure)
            trace.after_step(named)
            return out

    torch.optim.SGD = TracedSGD

    class TracedLoss(torch.nn.CrossEntropyLoss):
        def forward(self, logits, target):
            loss = super().forward(logits, target)
            trace.loss(logits, target, loss)
            return loss

    torch.nn.CrossEntropyLoss = TracedLoss

    def wrap(name, before=None, after=None):
        f = getattr(utils, name)

        def wrapped(*a, **k):
            if before:
                before(*a, **k)
            out = f(*a, **k)
            if after:
                after(out, *a, **k)
            return out

        setattr(utils, name, wrapped)

    def start_eval(*a, **k):
        trace.in_eval = True

    def end_eval(out, *a, **k):
        trace.in_eval = False
        trace.evaluated(out[1])

    wrap("freeze_up_to", before=lambda *a, **k: trace.begin_batch())
    wrap("preprocess_imgs", after=lambda out, *a, **k: trace.preprocessed(out))
    wrap("consolidate_weights", after=lambda out, model, *a, **k: trace.consolidated(model))
    wrap("set_consolidate_weights",
         before=lambda model: trace.memory(sys._getframe(2).f_globals["rm"]),
         after=lambda out, model: trace.output_weights(model))
    wrap("get_accuracy", before=start_eval, after=end_eval)

    sys.argv = ["ar1star_lat_replay.py"]
    cwd = os.getcwd()
    os.chdir(ref_cwd)
    try:
        with open(os.path.join(work, "reference.log"), "w") as log, contextlib.redirect_stdout(log):
            runpy.run_path(os.path.join(reference, "ar1star_lat_replay.py"), run_name="__main__")
    finally:
        os.chdir(cwd)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reference", required=True, help="a checkout of vlomonaco/ar1-pytorch")
    p.add_argument("--work", default="/tmp/ar1-trace")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--batches", type=int, default=4)
    p.add_argument("--tol", type=float, default=1e-3, help="relative to the largest reference value of a tensor")
    p.add_argument("--weights", default=os.path.join(ROOT, "tests", "Ar1Star.Tests", "Fixtures", "weights", "mobilenet_w1_legacy.pth"))
    p.add_argument("--skip-ours", action="store_true", help="reuse WORK/ours from an earlier run")
    p.add_argument("--no-latent-cache", action="store_true", help="ours recomputes lat_features every time")
    p.add_argument("--cwr-unique-classes", action="store_true", help="ours with the paper's CWR* (expect a parting)")
    p.add_argument("--set", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"),
                   help="override a configuration key (a Python literal)")
    args = p.parse_args()
    for k, v in args.set:
        CONFIG[k] = eval(v, {})
    os.makedirs(args.work, exist_ok=True)
    setup = make_inputs(args.work, args.seed, args.batches, args)
    if not args.skip_ours:
        subprocess.run(["dotnet", "run", os.path.join(HERE, "OursTrace.cs"), "-c", "Release", "--", args.work],
                       check=True, cwd=ROOT)
    trace = Trace(args.work, setup, args.tol)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    run_reference(os.path.abspath(args.reference), args.work, setup, trace)
    print("\nlargest relative difference per phase (tolerance %g):" % args.tol)
    for k, (v, where) in trace.worst.items():
        print("  %-18s %-9.3g %s%s" % (k, v, where, "   <-- parts" if v > args.tol else ""))
    print("\nfirst parting: " + (trace.first or "none: the two agree within the tolerance everywhere"))
    return 1 if trace.first else 0


if __name__ == "__main__":
    sys.exit(main())
