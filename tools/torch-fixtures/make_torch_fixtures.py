#!/usr/bin/python3
"""Writes the fixtures whose expected values come from PyTorch itself.

Run by hand, never by CI (CI only reads the committed outputs). Needs Debian 12's PyTorch
1.13 and numpy, and Pillow for the PNGs:

    apt-get install python3-torch python3-numpy python3-pil
    /usr/bin/python3 tools/torch-fixtures/make_torch_fixtures.py

(use /usr/bin/python3 explicitly where another python3 comes first on PATH). It writes into
tests/Ar1Star.Tests/Fixtures/weights/ and tests/Ar1Star.Tests/Fixtures/torch/, replacing what
is there; everything is seeded, so a second run gives the same values (the zip form's
timestamps aside). Commit the outputs together with any change to this script.

Outputs
  weights/mobilenet_w1_legacy.pth  a state dict with every key, shape and dtype of pytorchcv's
                                   mobilenet_w1, saved by torch.save(...,
                                   _use_new_zipfile_serialization=False)
  weights/mobilenet_w1_zip.pth     the same state dict saved by torch.save (zip form)
  weights/mobilenet_w1_expected.json
                                   per key: shape, dtype, mean, std and a fingerprint (sum,
                                   sum of squares, sum of |x|, a position-weighted sum); full
                                   BN values of layer 19 (stage4.unit5.dw_conv); samples of
                                   two strided views
  torch/image_<i>.png              4 RGB 128x128 8-bit images (synthetic objects on
                                   backgrounds, written by Pillow)
  torch/expected.json              the images preprocessed (samples + fingerprints), the
                                   eval-mode forward (lat_features output and logits, samples +
                                   fingerprints + norms) and two AR1* training iterations
                                   (losses, logits, parameter and BRN-statistic deltas, and
                                   how far float32 itself fixes each delta: the same two
                                   iterations in float64)

Keeping it small (a few hundred KB in all) without reducing the key set: every BN
running_mean and running_var has its own storage (they are calibrated on the images, so that
activations stay well scaled through 27 layers), as do the init block and layer 19; every other
tensor (pointwise and depthwise convs, gammas, betas, the classifier) is an overlapping strided
view into one of three small shared storages, a layout torch.save keeps as it is. The forward
and training fixtures reuse this very checkpoint: the output layer Linear(1024, 50) is the first
50 rows of the checkpoint's 1000-class classifier.

Nothing here is the reference's code: MobileNetV1 and Batch Renormalization are written from
docs/algorithm.md (#model, #batch-renormalization, #latent-replay, #optimisation-schedule,
#preprocessing) with torch's own conv2d, avg_pool2d, linear,
cross_entropy and optim.SGD.
"""

import io
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
WEIGHTS_DIR = os.path.join(ROOT, "tests", "Ar1Star.Tests", "Fixtures", "weights")
TORCH_DIR = os.path.join(ROOT, "tests", "Ar1Star.Tests", "Fixtures", "torch")

SIDE = 128
IMAGES = 4
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
PW_CHANNELS = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]
STRIDED_UNITS = [2, 4, 6, 12]  # 1-based units whose dw conv has stride 2
STAGE_UNITS = [1, 2, 2, 6, 2]  # units per stage of mobilenet_w1
LAYER19 = "features.stage4.unit5.dw_conv"
SAMPLES = 64

torch.manual_seed(20261130)
rng = np.random.RandomState(20261130)


# --- the mobilenet_w1 layout (docs/algorithm.md#model) ---------------------------------------

def layer_prefix(layer):
    if layer == 0:
        return "features.init_block"
    unit = (layer + 1) // 2
    stage, first = 1, 1
    while unit >= first + STAGE_UNITS[stage - 1]:
        first += STAGE_UNITS[stage - 1]
        stage += 1
    return "features.stage%d.unit%d.%s" % (stage, unit - first + 1, "dw_conv" if layer % 2 == 1 else "pw_conv")


def layer_shape(layer):
    """(in channels, out channels, kernel, stride, groups) of layer 0..26."""
    if layer == 0:
        return 3, 32, 3, 2, 1
    unit = (layer + 1) // 2
    cin = 32 if unit == 1 else PW_CHANNELS[unit - 2]
    if layer % 2 == 1:
        return cin, cin, 3, 2 if unit in STRIDED_UNITS else 1, cin
    return cin, PW_CHANNELS[unit - 1], 1, 1, 1


# --- images and preprocessing (docs/algorithm.md#preprocessing) ------------------------------

def make_images():
    """Objects (a disc and a bar of their own colour) on a lit, textured background: smooth
    enough to compress, varied enough that every channel and position matters."""
    yy, xx = np.mgrid[0:SIDE, 0:SIDE].astype(np.float64)
    images = []
    for i in range(IMAGES):
        base = rng.uniform(40, 200, size=3)
        tilt = rng.uniform(-0.6, 0.6, size=(3, 2))
        img = np.stack([base[c] + tilt[c, 0] * (xx - 64) + tilt[c, 1] * (yy - 64) for c in range(3)], -1)
        img += 12 * np.sin(xx / rng.uniform(5, 11) + i)[..., None] * np.cos(yy / rng.uniform(6, 13))[..., None]
        cx, cy, r = rng.uniform(40, 88), rng.uniform(40, 88), rng.uniform(18, 34)
        disc = (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
        img[disc] = rng.uniform(0, 255, size=3)
        bar = (np.abs(xx - rng.uniform(20, 108)) < 6) & (yy > rng.uniform(10, 60))
        img[bar] = rng.uniform(0, 255, size=3)
        img += rng.randint(-2, 3, size=img.shape)
        images.append(np.clip(np.rint(img), 0, 255).astype(np.uint8))
    return np.stack(images)  # N x H x W x 3, RGB


def preprocess(hwc_uint8):
    """docs/algorithm.md#preprocessing as the reference does it: x / 255 and the ImageNet mean/std per channel in
    float64 on HWC, then NCHW, then float32."""
    x = hwc_uint8.astype(np.float64) / 255
    for c in range(3):
        x[..., c] = (x[..., c] - MEAN[c]) / STD[c]
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).float()


# --- the checkpoint -------------------------------------------------------------------------

def build_state_dict(x):
    """mobilenet_w1's keys in pytorchcv's order; BN statistics calibrated on x layer by layer."""
    shared = torch.randn(8400)                     # conv weights and the classifier
    gammas = torch.empty(1400).uniform_(0.6, 1.4)  # BN weights
    betas = torch.empty(2100).normal_(0.05, 0.15)  # BN biases and the classifier
    offsets = iter(range(7, 100_000, 97))

    def view(storage, shape, row_stride):
        strides = [row_stride] + list(torch.empty(shape[1:]).stride()) if len(shape) > 1 else [row_stride]
        extent = (shape[0] - 1) * row_stride + (int(np.prod(shape[1:])) if len(shape) > 1 else 1)
        offset = next(offsets) % (storage.numel() - extent + 1)
        return storage.as_strided(shape, strides, offset)

    sd = {}
    h = x
    for layer in range(27):
        cin, cout, k, stride, groups = layer_shape(layer)
        p = layer_prefix(layer)
        wshape = (cout, cin // groups, k, k)
        if layer == 0 or p == LAYER19:
            w = torch.randn(wshape) * (2.0 / (cin // groups * k * k)) ** 0.5
        elif groups > 1:
            w = view(shared, wshape, 2 + layer % 3)
        else:
            w = view(shared, wshape, 3 + layer % 5)
        if p == LAYER19:
            gamma, beta = torch.empty(cout).uniform_(0.6, 1.4), torch.empty(cout).normal_(0.05, 0.15)
        else:
            gamma, beta = view(gammas, (cout,), 1), view(betas, (cout,), 1)
        z = F.conv2d(h, w, stride=stride, padding=k // 2, groups=groups)
        m = z.mean(dim=(0, 2, 3))
        v = z.var(dim=(0, 2, 3), unbiased=False)
        # Statistics near, not at, the images' own: training mode then sees r and d at work.
        running_mean = (m + 0.3 * v.sqrt() * torch.randn(cout)).clone()
        running_var = (v * torch.empty(cout).uniform_(0.6, 1.8)).clone()
        sd[p + ".conv.weight"] = w
        sd[p + ".bn.weight"] = gamma
        sd[p + ".bn.bias"] = beta
        sd[p + ".bn.running_mean"] = running_mean
        sd[p + ".bn.running_var"] = running_var
        sd[p + ".bn.num_batches_tracked"] = torch.tensor(562500 + layer, dtype=torch.int64)
        h = F.relu(gamma.view(1, -1, 1, 1) * (z - running_mean.view(1, -1, 1, 1)) / running_var.sqrt().view(1, -1, 1, 1)
                   + beta.view(1, -1, 1, 1))
    sd["output.weight"] = view(betas, (1000, 1024), 1)
    sd["output.bias"] = view(betas, (1000,), 1)
    return sd


def position_weights(n):
    """c_i = ((i * 2654435761) mod 2^32) / 2^32 - 0.5: exact integer arithmetic, so C# computes
    the same coefficients; a sum weighted by them tells permuted or transposed values apart."""
    i = np.arange(n, dtype=np.uint64)
    return ((i * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)).astype(np.float64) / 4294967296.0 - 0.5


def fingerprint(t):
    v = t.detach().contiguous().view(-1).double().numpy()
    return {"sum": float(v.sum()), "sumsq": float((v * v).sum()), "abssum": float(np.abs(v).sum()),
            "weighted": float((v * position_weights(v.size)).sum())}


def f32(v):
    """A float32 value in the shortest text that reads back as the same float32."""
    return float(np.format_float_positional(np.float32(v), unique=True, trim="-"))


def samples(t, count=SAMPLES, seed=0):
    """count (flat index, value) pairs of t, row-major, at seeded positions."""
    flat = t.detach().contiguous().view(-1).numpy()
    idx = np.sort(np.random.RandomState(seed).choice(flat.size, min(count, flat.size), replace=False))
    return [[int(i), f32(flat[i])] for i in idx]


def describe(t):
    d = t.detach().contiguous().view(-1).double()
    return {"mean": float(d.mean()), "std": float(d.std()) if d.numel() > 1 else None}


# --- MobileNetV1 with Batch Renormalization (docs/algorithm.md#model, #batch-renormalization) ---

class Brn:
    """Batch Renormalization as docs/algorithm.md#batch-renormalization states it; buffers mu and sigma = sqrt(running_var)."""

    def __init__(self, gamma, beta, mean, var):
        self.gamma = torch.nn.Parameter(gamma.detach().clone().contiguous())
        self.beta = torch.nn.Parameter(beta.detach().clone().contiguous())
        self.mu = mean.detach().clone().contiguous()
        self.sigma = var.detach().clone().sqrt().contiguous()
        self.training = False
        self.momentum, self.r_max, self.d_max, self.inc_step = 0.0, 1.0, 0.0, 0.0
        self.max_r_max, self.max_d_max = 1.25, 0.5

    def __call__(self, x):
        c = lambda t: t.view(1, -1, 1, 1)
        if not self.training:
            return c(self.gamma) * (x - c(self.mu)) / c(self.sigma) + c(self.beta)
        m = x.mean(dim=(0, 2, 3))
        s = torch.sqrt(x.var(dim=(0, 2, 3), unbiased=False) + 1e-5)
        r = torch.clamp(s / self.sigma, 1 / self.r_max, self.r_max).detach()
        d = torch.clamp((m - self.mu) / self.sigma, -self.d_max, self.d_max).detach()
        y = c(self.gamma) * ((x - c(m)) * c(r) / c(s) + c(d)) + c(self.beta)
        if self.r_max < self.max_r_max:
            self.r_max += self.inc_step * x.shape[0]
        if self.d_max < self.max_d_max:
            self.d_max += self.inc_step * x.shape[0]
        self.mu = self.mu + self.momentum * (m.detach() - self.mu)
        self.sigma = self.sigma + self.momentum * (s.detach() - self.sigma)
        return y


class Block:
    def __init__(self, layer, sd):
        p = layer_prefix(layer)
        _, _, k, self.stride, self.groups = layer_shape(layer)
        self.padding = k // 2
        self.weight = torch.nn.Parameter(sd[p + ".conv.weight"].detach().clone().contiguous())
        self.bn = Brn(sd[p + ".bn.weight"], sd[p + ".bn.bias"], sd[p + ".bn.running_mean"], sd[p + ".bn.running_var"])

    def __call__(self, x):
        return F.relu(self.bn(F.conv2d(x, self.weight, stride=self.stride, padding=self.padding, groups=self.groups)))


class MobileNet:
    def __init__(self, sd, latent_layer_num=19):
        self.lat = [Block(i, sd) for i in range(latent_layer_num + 1)]
        self.end = [Block(i, sd) for i in range(latent_layer_num + 1, 27)]
        self.output = torch.nn.Parameter(sd["output.weight"].detach()[:50].clone().contiguous())

    def latent(self, x):
        for b in self.lat:
            x = b(x)
        return x

    def from_latent(self, h):
        for b in self.end:
            h = b(h)
        h = F.avg_pool2d(h, 4).view(h.shape[0], -1)
        return F.linear(h, self.output)

    def end_parameters(self):
        """Trainable parameters in registration order: end_features' conv, gamma, beta, then output."""
        params = []
        for b in self.end:
            params += [b.weight, b.bn.gamma, b.bn.beta]
        return params + [self.output]


# --- the fixtures ------------------------------------------------------------------------

def compare_block(t, count=SAMPLES):
    return {"shape": list(t.shape), "norm": float(t.double().norm()), "max_abs": float(t.double().abs().max()),
            "fingerprint": fingerprint(t), "samples": samples(t, count, seed=1)}


ITERATIONS = [{"new": [0, 1], "new_labels": [3, 17], "replayed": [2], "replayed_labels": [41]},
              {"new": [3, 2], "new_labels": [8, 41], "replayed": [0], "replayed_labels": [3]}]


def training_fixture(sd, x):
    """Two AR1* iterations of end_features + output in training mode (docs/algorithm.md#latent-replay): new
    patterns through the frozen lat_features, replayed latents concatenated after them, mean
    cross-entropy, then SGD with momentum and weight decay; BRN with the given r_max, d_max,
    growth and update rate."""
    cfg = {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01, "update_rate": 0.1,
           "r_max": 1.1, "d_max": 0.2, "inc_step": 0.01, "max_r_max": 1.25, "max_d_max": 0.5}
    iterations = ITERATIONS
    net = MobileNet(sd)
    for b in net.end:
        b.bn.training = True
        b.bn.momentum, b.bn.r_max, b.bn.d_max, b.bn.inc_step = cfg["update_rate"], cfg["r_max"], cfg["d_max"], cfg["inc_step"]
        b.bn.max_r_max, b.bn.max_d_max = cfg["max_r_max"], cfg["max_d_max"]
    with torch.no_grad():
        latents = net.latent(x)  # lat_features frozen, eval mode: the memory's latents too
    params = net.end_parameters()
    before = [p.detach().clone() for p in params]
    stats_before = [(b.bn.mu.clone(), b.bn.sigma.clone()) for b in net.end]
    opt = torch.optim.SGD(params, lr=cfg["lr"], momentum=cfg["momentum"], weight_decay=cfg["weight_decay"])
    results = []
    for it in iterations:
        with torch.no_grad():
            new = net.latent(x[it["new"]])
        h = torch.cat([new, latents[it["replayed"]]], 0)
        y = torch.tensor(it["new_labels"] + it["replayed_labels"])
        logits = net.from_latent(h)
        loss = F.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        results.append({"loss": float(loss), "logits": [f32(v) for v in logits.detach().flatten()]})
    names = []
    for j in range(len(net.end)):
        names += ["end_features.%d.conv.weight" % j, "end_features.%d.bn.gamma" % j, "end_features.%d.bn.beta" % j]
    names.append("output.weight")
    deltas = {}
    for name, p, p0 in zip(names, params, before):
        deltas[name] = {"after": compare_block(p.detach(), 8), "delta": compare_block(p.detach() - p0, 24)}
    for j, (b, (mu0, sigma0)) in enumerate(zip(net.end, stats_before)):
        deltas["end_features.%d.bn.mu" % j] = {"after": compare_block(b.bn.mu, 8), "delta": compare_block(b.bn.mu - mu0, 24)}
        deltas["end_features.%d.bn.sigma" % j] = {"after": compare_block(b.bn.sigma, 8), "delta": compare_block(b.bn.sigma - sigma0, 24)}
    r_max_after = net.end[0].bn.r_max
    d_max_after = net.end[0].bn.d_max
    return {"config": cfg, "iterations": iterations, "results": results, "tensors": deltas,
            "r_max_after": r_max_after, "d_max_after": d_max_after}


def float32_spread(sd, x, expected):
    """How far torch's own float32 results (updated values and deltas) are from the same
    computation in float64, per tensor, as a fraction of the largest value: the BRN gradients of
    a 3-pattern step are small differences of large sums, so float32 fixes some updates to about
    1e-2 only, and no other float32 implementation can be expected closer to torch than that."""
    torch.set_default_dtype(torch.float64)
    try:
        sd64 = {k: (v.double() if v.is_floating_point() else v) for k, v in sd.items()}
        exact = training_fixture(sd64, x.double())
    finally:
        torch.set_default_dtype(torch.float32)
    for name, entry in expected["tensors"].items():
        for part in ("after", "delta"):
            mine = entry[part]
            theirs = dict(map(tuple, exact["tensors"][name][part]["samples"]))
            spread = max(abs(v - theirs[i]) for i, v in mine["samples"]) / mine["max_abs"]
            mine["float32_spread"] = float("%.3g" % spread)


def main():
    os.makedirs(TORCH_DIR, exist_ok=True)
    images = make_images()
    for i in range(IMAGES):
        Image.fromarray(images[i], "RGB").save(os.path.join(TORCH_DIR, "image_%d.png" % i), optimize=True)
    x = preprocess(images)
    sd = build_state_dict(x)

    torch.save(sd, os.path.join(WEIGHTS_DIR, "mobilenet_w1_legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save(sd, os.path.join(WEIGHTS_DIR, "mobilenet_w1_zip.pth"))
    # What torch reads back is what the fixtures describe.
    for form in ("legacy", "zip"):
        back = torch.load(os.path.join(WEIGHTS_DIR, "mobilenet_w1_%s.pth" % form))
        assert list(back) == list(sd) and all(torch.equal(back[k], sd[k]) for k in sd), form
    keys = []
    for name, t in sd.items():
        keys.append(dict({"name": name, "shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", "")},
                         **describe(t), fingerprint=fingerprint(t)))
    expected_weights = {
        "torch_version": torch.__version__,
        "keys": keys,
        "full": {LAYER19 + s: [f32(v) for v in sd[LAYER19 + s].flatten()]
                 for s in (".bn.weight", ".bn.bias", ".bn.running_mean", ".bn.running_var")},
        "samples": {name: [{"index": list(np.unravel_index(i, sd[name].shape)), "value": v}
                           for i, v in samples(sd[name], count=16, seed=2)]
                    for name in ("features.stage4.unit5.pw_conv.conv.weight", "features.stage5.unit2.pw_conv.conv.weight")},
    }
    for entry in expected_weights["samples"].values():
        for s in entry:
            s["index"] = [int(i) for i in s["index"]]
    with open(os.path.join(WEIGHTS_DIR, "mobilenet_w1_expected.json"), "w") as f:
        json.dump(expected_weights, f, separators=(",", ":"))

    net = MobileNet(sd)
    with torch.no_grad():
        latent = net.latent(x)
        logits = net.from_latent(latent)
    patch = x[0, :, 60:68, 30:38]
    expected = {
        "torch_version": torch.__version__,
        "images": ["image_%d.png" % i for i in range(IMAGES)],
        "preprocessing": {"input": compare_block(x), "patch": {"image": 0, "rows": [60, 68], "columns": [30, 38],
                                                               "values": [f32(v) for v in patch.flatten()]}},
        "forward": {"latent": compare_block(latent), "logits": [f32(v) for v in logits.flatten()],
                    "logits_shape": list(logits.shape),
                    "relu_alive": float((latent > 0).float().mean())},
        "training": training_fixture(sd, x),
    }
    float32_spread(sd, x, expected["training"])
    with open(os.path.join(TORCH_DIR, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
