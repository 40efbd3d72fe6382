#!/usr/bin/python3
"""Full-loop mode: the reference's whole run (ar1-pytorch, unchanged) against `ar1 run`, over
several seeds, on real images laid out as a CORe50 root. See README.md beside this file.

    /usr/bin/python3 tools/reference-trace/fullloop.py --reference /tmp/ar1ref \
        [--work /tmp/ar1-fullloop] [--seeds 1-8] [--batches 40] [--fmnist DIR] [--only ours|reference]

1. WORK/root: Fashion-MNIST test images (never its training set), 28 px grey upscaled to
   128 px RGB (the reference's loader and its AvgPool2d(4) fix 128 px), laid out in both forms
   the two read: core50_128x128/sS/oO/*.png with paths.pkl, LUP.pkl, labels.pkl (the reference)
   and core50_imgs.bin (ours, --form Npz). NICv2-391-shaped: batch 0 holds three classes, every
   later batch one session of one class; classes 3..9 appear one by one over the first 20
   batches; the test set holds every class (run 0 of nicv2_391; its 391 batches exist, after
   --batches they repeat batch 1 and are never trained on).
2. WORK/weights.pth: the same initial weights for both and every seed: mobilenet_w1 in
   pytorchcv's layout, torch's default initialisation (torch seed 0), its BN statistics
   calibrated on 256 other Fashion-MNIST test images; a legacy (non-zip) torch checkpoint.
3. WORK/params.cfg, section [fullloop]: the reference's DEFAULT with higher learning rates and a
   small mini-batch and memory (CONFIG below), read by both.
4. Per seed, one after the other: ours (`ar1 run --config ... --data WORK/root --form Npz
   --max-batches N --weights WORK/weights.pth --seed S`), then the reference
   (seeded_reference.py: numpy's generator seeded with S). WORK/accuracies.tsv gets one row per
   (seed, batch); the summary (last ten batches' mean per seed, mean and sd of each side, Welch's
   t-test) is printed and written to WORK/summary.txt.
"""
import argparse
import gzip
import json
import math
import os
import pickle
import platform
import re
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SIDE = 128
CLASSES = 10
FIRST = 45        # batch 0: three classes x 15
SESSION = 10      # every later batch: one session of one class
TEST_PER_CLASS = 6
CALIBRATION = 256

# The reference's DEFAULT section but for the learning rates (raised so that learning shows in a
# few dozen batches), the mini-batch, the memory and the epochs (small so that 40 batches of
# 10 patterns run in minutes on a CPU).
CONFIG = {
    "exp_name": '"fullloop"', "comment": '"fullloop"', "use_cuda": "False",
    "init_lr": "0.01", "inc_lr": "0.002", "mb_size": "16", "init_train_ep": "4", "inc_train_ep": "2",
    "init_update_rate": "0.01", "inc_update_rate": "0.00005", "max_r_max": "1.25", "max_d_max": "0.5",
    "inc_step": "4.1e-05", "rm_sz": "60", "momentum": "0.9", "l2": "0.0005",
    "freeze_below_layer": '"lat_features.19.bn.beta"', "latent_layer_num": "19", "reg_lambda": "0",
    "rm": "None",
}


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def to_rgb128(img28):
    from PIL import Image
    big = np.asarray(Image.fromarray(img28).resize((SIDE, SIDE), Image.BILINEAR))
    return np.repeat(big[:, :, None], 3, axis=2)


def schedule(batches):
    """(class, session) of every batch after the first: a fixed plan, the same for every seed
    (the seed of a run is not the protocol's run)."""
    rng = np.random.RandomState(391)
    plan, seen = [], [0, 1, 2]
    new_at = {1 + 3 * k: 3 + k for k in range(CLASSES - 3)}  # classes 3..9 at batches 1, 4, ..., 19
    sessions = {c: 1 for c in range(CLASSES)}
    for b in range(1, batches):
        c = new_at.get(b)
        if c is None:
            c = int(rng.choice(seen))
        else:
            seen.append(c)
        sessions[c] += 1
        plan.append((c, sessions[c]))
    return plan


def make_root(root, fmnist, batches):
    """Writes the CORe50 root; returns the images used for BN calibration (not in the root)."""
    x = read_idx(os.path.join(fmnist, "t10k-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(fmnist, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    by_class = {c: list(np.flatnonzero(y == c)) for c in range(CLASSES)}
    plan = schedule(batches)
    need = {c: TEST_PER_CLASS + (FIRST // 3 if c < 3 else 0) + SESSION * sum(1 for k, _ in plan if k == c) for c in range(CLASSES)}
    if any(need[c] + CALIBRATION // CLASSES > len(by_class[c]) for c in range(CLASSES)):
        raise SystemExit("Fashion-MNIST's test set has too few images of a class for %d batches" % batches)
    calib = [i for c in range(CLASSES) for i in by_class[c][-(CALIBRATION // CLASSES):]]
    if os.path.exists(os.path.join(root, "LUP.pkl")):
        return x[calib]
    os.makedirs(root, exist_ok=True)
    paths, images, cursor = [], [], {c: 0 for c in range(CLASSES)}

    def take(c, session, n):
        idx = []
        for _ in range(n):
            frame = by_class[c][cursor[c]]
            cursor[c] += 1
            rel = "core50_128x128/s%d/o%d/C_%02d_%02d_%03d.png" % (session, c + 1, session, c + 1, len(idx))
            os.makedirs(os.path.join(root, os.path.dirname(rel)), exist_ok=True)
            img = to_rgb128(x[frame])
            from PIL import Image
            Image.fromarray(img).save(os.path.join(root, rel))
            paths.append(rel)
            images.append(img)
            idx.append(len(paths) - 1)
        return idx

    test = []
    for c in range(CLASSES):
        test += take(c, 0, TEST_PER_CLASS)  # a session of its own (s0), as CORe50's s3, s7, s10
    first = [i for c in range(3) for i in take(c, 1, FIRST // 3)]
    lup = [first] + [take(c, s, SESSION) for c, s in plan]
    lup += [lup[1]] * (391 - len(lup))
    labels = [[int(paths[i].split("/")[2][1:]) - 1 for i in b] for b in lup]
    # The reference keeps every 20th test pattern: each test image first of 20 equal entries.
    test_lup = [i for i in test for _ in range(20)]
    lup.append(test_lup)
    labels.append([int(paths[i].split("/")[2][1:]) - 1 for i in test_lup])
    np.stack(images).tofile(os.path.join(root, "core50_imgs.bin"))
    for name, obj in (("paths.pkl", paths), ("LUP.pkl", {"nicv2_391": [lup]}), ("labels.pkl", {"nicv2_391": [labels]})):
        with open(os.path.join(root, name), "wb") as f:
            pickle.dump(obj, f, protocol=2)
    return x[calib]


def make_weights(path, calib):
    if os.path.exists(path):
        return
    import torch
    sys.path.insert(0, os.path.join(HERE, "standins"))
    from pytorchcv.models.mobilenet import MobileNet
    torch.manual_seed(0)
    net = MobileNet()
    # Random frozen features keep their scale through 14 layers only with statistics that fit
    # them: one pass over held-out images in train mode, cumulative averages (momentum None).
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    rgb = np.stack([to_rgb128(i) for i in calib]).astype(np.float32) / 255
    rgb = (rgb - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
    net.train()
    with torch.no_grad():
        h = torch.from_numpy(rgb.transpose(0, 3, 1, 2).copy())
        for block in list(net.features)[:-1]:  # final_pool is the reference's to replace
            h = block(h)
    torch.save(net.state_dict(), path, _use_new_zipfile_serialization=False)


def write_config(path):
    with open(path, "w") as f:
        f.write("[DEFAULT]\n")
        for k, v in CONFIG.items():
            f.write("%s = %s\n" % (k, v))
        f.write("\n[fullloop]\n")


def run_ours(work, seed, batches):
    out = os.path.join(work, "ours", "seed%d" % seed)
    cmd = [os.path.join(ROOT, "ar1"), "run", "--config", os.path.join(work, "params.cfg"), "--name", "fullloop",
           "--data", os.path.join(work, "root"), "--form", "Npz", "--scenario", "nicv2_391",
           "--max-batches", str(batches), "--weights", os.path.join(work, "weights.pth"),
           "--seed", str(seed), "--out", out, "--overwrite"]
    with open(out + ".log", "w") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT)
    with open(os.path.join(out, "results.json")) as f:
        results = json.load(f)
    return [float(b["test_accuracy"]) for b in results["batches"]]


def run_reference(work, reference, seed, batches):
    cwd = os.path.join(work, "reference", "seed%d" % seed)
    os.makedirs(cwd, exist_ok=True)
    subprocess.run(["cp", os.path.join(work, "params.cfg"), cwd], check=True)
    cmd = ["/usr/bin/python3", os.path.join(HERE, "seeded_reference.py"), "--reference", reference,
           "--root", os.path.join(work, "root"), "--seed", str(seed), "--batches", str(batches),
           "--weights", os.path.join(work, "weights.pth"), "--name", "fullloop"]
    # One thread: the same values, and no OpenMP spinning on a loaded machine.
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    with open(cwd + ".log", "w") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=env)
    with open(cwd + ".log") as f:
        return [float(m) for m in re.findall(r"^Accuracy:\s+(\S+)", f.read(), re.M)]


def welch(a, b):
    """Welch's t and its degrees of freedom; the two-sided p from Student's t by numerical
    integration of its density (no scipy in Debian's base)."""
    na, nb = len(a), len(b)
    va, vb = np.var(a, ddof=1) / na, np.var(b, ddof=1) / nb
    t = (np.mean(a) - np.mean(b)) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1))
    xs = np.linspace(0, abs(t), 20001)
    dens = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi) * (1 + xs ** 2 / df) ** (-(df + 1) / 2)
    p = 1 - 2 * float(np.sum((dens[1:] + dens[:-1]) / 2 * np.diff(xs)))
    return t, df, max(p, 0.0)


def variance_ratio(a, b):
    """F = var(a) / var(b) and its two-sided p under equal variances (normal samples), from the
    beta distribution of d1 F / (d1 F + d2), integrated numerically."""
    d1, d2 = len(a) - 1, len(b) - 1
    f = np.var(a, ddof=1) / np.var(b, ddof=1)
    z0 = d1 * f / (d1 * f + d2)
    alpha, beta = d1 / 2, d2 / 2
    zs = (np.arange(200000) + 0.5) / 200000
    dens = np.exp((alpha - 1) * np.log(zs) + (beta - 1) * np.log1p(-zs) + math.lgamma(alpha + beta) - math.lgamma(alpha) - math.lgamma(beta))
    cdf = float(np.sum(dens[zs < z0]) / 200000)
    return f, d1, d2, min(1.0, 2 * min(cdf, 1 - cdf))


def summarise(work, acc):
    lines = []
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    lines.append("CPU: %s, %d logical CPUs" % (cpu, os.cpu_count()))
    lines.append("mean accuracy of the last ten batches")
    lines.append("| seed | ours | reference | ours - reference |")
    lines.append("|---|---|---|---|")
    ours, ref = [], []
    for seed in sorted(acc):
        o, r = acc[seed].get("ours"), acc[seed].get("reference")
        mo = float(np.mean(o[-10:])) if o else float("nan")
        mr = float(np.mean(r[-10:])) if r else float("nan")
        if o:
            ours.append(mo)
        if r:
            ref.append(mr)
        lines.append("| %d | %.3f | %.3f | %+.3f |" % (seed, mo, mr, mo - mr))
    for name, v in (("ours", ours), ("reference", ref)):
        if len(v) > 1:
            lines.append("%-9s mean %.4f sd %.4f (n %d), mean +- 2 sd: %.3f .. %.3f"
                         % (name, np.mean(v), np.std(v, ddof=1), len(v), np.mean(v) - 2 * np.std(v, ddof=1), np.mean(v) + 2 * np.std(v, ddof=1)))
    if len(ours) > 1 and len(ref) > 1:
        t, df, p = welch(ours, ref)
        lines.append("Welch t %.3f, df %.1f, two-sided p %.3f" % (t, df, p))
        f, d1, d2, pf = variance_ratio(ours, ref)
        lines.append("variance ratio ours / reference F %.3f (df %d, %d), two-sided p %.3f" % (f, d1, d2, pf))
        per_batch = [np.mean(np.abs(np.array(acc[s]["ours"]) - np.array(acc[s]["reference"]))) for s in sorted(acc)
                     if acc[s].get("ours") and acc[s].get("reference") and len(acc[s]["ours"]) == len(acc[s]["reference"])]
        if per_batch:
            lines.append("mean |ours - reference| over all batches, per seed: " + ", ".join("%.3f" % v for v in per_batch))
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(work, "summary.txt"), "w") as f:
        f.write(text + "\n")


def seeds_arg(text):
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reference", required=True, help="a checkout of vlomonaco/ar1-pytorch")
    p.add_argument("--work", default="/tmp/ar1-fullloop")
    p.add_argument("--seeds", type=seeds_arg, default=seeds_arg("1-5"), help="e.g. 1-8 or 1,3,5")
    p.add_argument("--batches", type=int, default=40)
    p.add_argument("--fmnist", default="/usr/share/datasets/fashion-mnist", help="Debian's dataset-fashion-mnist")
    p.add_argument("--only", choices=["ours", "reference"], help="run one side (the other's earlier results are kept)")
    p.add_argument("--summary-only", action="store_true", help="print the summary of WORK/accuracies.json, run nothing")
    args = p.parse_args()
    work = os.path.abspath(args.work)
    os.makedirs(os.path.join(work, "ours"), exist_ok=True)
    calib = make_root(os.path.join(work, "root"), args.fmnist, args.batches)
    make_weights(os.path.join(work, "weights.pth"), calib)
    write_config(os.path.join(work, "params.cfg"))
    store = os.path.join(work, "accuracies.json")
    acc = {}
    if os.path.exists(store):
        acc = {int(k): v for k, v in json.load(open(store)).items()}
    for seed in [] if args.summary_only else args.seeds:
        acc.setdefault(seed, {})
        for side in ("ours", "reference"):
            if args.only and side != args.only:
                continue
            acc[seed][side] = run_ours(work, seed, args.batches) if side == "ours" else \
                run_reference(work, os.path.abspath(args.reference), seed, args.batches)
            print("seed %d %-9s last ten batches %.4f" % (seed, side, np.mean(acc[seed][side][-10:])), flush=True)
            with open(store, "w") as f:
                json.dump(acc, f)
    with open(os.path.join(work, "accuracies.tsv"), "w") as f:
        f.write("seed\tbatch\tours\treference\n")
        for seed in sorted(acc):
            o, r = acc[seed].get("ours", []), acc[seed].get("reference", [])
            for b in range(max(len(o), len(r))):
                f.write("%d\t%d\t%s\t%s\n" % (seed, b, o[b] if b < len(o) else "", r[b] if b < len(r) else ""))
    summarise(work, {s: acc[s] for s in acc if s in args.seeds or not args.only})


if __name__ == "__main__":
    main()
