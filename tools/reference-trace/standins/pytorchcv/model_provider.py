"""get_model("mobilenet_w1", pretrained=True): the stand-in network with the weights of the
checkpoint named by AR1_TRACE_WEIGHTS (a state dict with pytorchcv's keys)."""
import os

import torch

from .models.mobilenet import MobileNet


def get_model(name, pretrained=False, **kwargs):
    if name != "mobilenet_w1":
        raise ValueError("the trace's pytorchcv stand-in only has mobilenet_w1, not " + name)
    net = MobileNet()
    if pretrained:
        state = torch.load(os.environ["AR1_TRACE_WEIGHTS"], map_location="cpu")
        net.load_state_dict(state)
    return net
