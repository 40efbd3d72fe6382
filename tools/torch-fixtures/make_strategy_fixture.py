#!/usr/bin/python3
"""Writes tests/Ar1Star.Tests/Fixtures/torch/strategy_steps.json: one training step of EWC and one
of LwF (docs/strategies.md#ewc, #lwf) on a tiny linear classifier, as PyTorch computes them, for
tests/Ar1Star.Tests/TorchFixtures/TorchStrategyStepTests.cs.

Run by hand, never by CI:  /usr/bin/python3 tools/torch-fixtures/make_strategy_fixture.py

Weights and inputs are made from their index by the formulas below (the test rebuilds them the
same way, in float32), so only the expected values are stored.

EWC: the Fisher of the weights W0 over two mini-batches (mean of the squared gradient of each
mini-batch's mean cross-entropy), averaged into the running mean of one batch and capped at
0.001; theta* = W0. Then the weights W1, a third mini-batch, loss = CE + (lambda/2) *
sum(importance * (W1 - W0)^2), one plain SGD step.

LwF: the teacher's weights Wt and the student's Ws, one mini-batch, loss = CE + alpha * T^2 *
KL(softmax(teacher/T) || softmax(student/T)) averaged over the patterns, one plain SGD step.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "Ar1Star.Tests", "Fixtures", "torch", "strategy_steps.json")

CLASSES, FEATURES = 3, 4
LR = 0.1


def values(n, phase, scale):
    """n float32 values scale * sin(0.7 i + phase), i = 0..n-1."""
    return torch.tensor([scale * math.sin(0.7 * i + phase) for i in range(n)], dtype=torch.float32)


def matrix(rows, phase, scale):
    return values(rows * FEATURES, phase, scale).view(rows, FEATURES)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1)]


def ewc():
    lam = 1000.0
    w0 = matrix(CLASSES, 0.0, 0.5)
    batches = [(matrix(2, 1.0, 0.2), torch.tensor([0, 2])), (matrix(2, 2.0, 0.2), torch.tensor([1, 1]))]
    w = w0.clone().requires_grad_(True)
    fisher = torch.zeros_like(w0)
    for x, y in batches:
        g, = torch.autograd.grad(F.cross_entropy(x @ w.t(), y), [w])
        fisher += g.square()
    fisher /= len(batches)
    importance = fisher.clamp(max=0.001)
    w1 = (w0 + matrix(CLASSES, 3.0, 0.3)).requires_grad_(True)
    x, y = matrix(3, 4.0, 1.0), torch.tensor([2, 0, 1])
    ce = F.cross_entropy(x @ w1.t(), y)
    penalty = lam / 2 * (importance * (w1 - w0).square()).sum()
    loss = ce + penalty
    loss.backward()
    with torch.no_grad():
        after = w1 - LR * w1.grad
    return {"lambda": lam, "lr": LR, "fisher": flat(fisher), "importance": flat(importance),
            "cross_entropy": float(ce), "penalty": float(penalty), "loss": float(loss), "weights_after": flat(after)}


def lwf():
    alpha, temperature = 0.5, 2.0
    teacher = matrix(CLASSES, 5.0, 0.8)
    student = (teacher + matrix(CLASSES, 6.0, 0.4)).requires_grad_(True)
    x, y = matrix(3, 7.0, 1.0), torch.tensor([1, 2, 2])
    logits = x @ student.t()
    with torch.no_grad():
        target = x @ teacher.t()
    ce = F.cross_entropy(logits, y)
    kl = F.kl_div(F.log_softmax(logits / temperature, 1), F.log_softmax(target / temperature, 1), reduction="batchmean", log_target=True)
    distillation = temperature ** 2 * kl
    loss = ce + alpha * distillation
    loss.backward()
    with torch.no_grad():
        after = student - LR * student.grad
    return {"alpha": alpha, "temperature": temperature, "lr": LR, "cross_entropy": float(ce),
            "distillation": float(distillation), "loss": float(loss), "weights_after": flat(after)}


with open(OUT, "w") as f:
    json.dump({"torch": torch.__version__, "ewc": ewc(), "lwf": lwf()}, f, indent=1)
print("wrote", OUT)
