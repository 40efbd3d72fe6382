"""mobilenet_w1 in pytorchcv's module layout: features.init_block, features.stage1..5.unitN
(DwsConvBlock), features.final_pool, output (Linear 1024 -> 1000)."""
import torch.nn as nn

from .common import ConvBlock, DwsConvBlock

CHANNELS = [[32], [64], [128, 128], [256, 256], [512] * 6, [1024, 1024]]


class MobileNet(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.features = nn.Sequential()
        self.features.add_module("init_block", ConvBlock(3, 32, 3, 2, 1))
        in_channels = 32
        for i, stage_channels in enumerate(CHANNELS[1:]):
            stage = nn.Sequential()
            for j, out_channels in enumerate(stage_channels):
                stride = 2 if j == 0 and i != 0 else 1
                stage.add_module("unit%d" % (j + 1), DwsConvBlock(in_channels, out_channels, stride))
                in_channels = out_channels
            self.features.add_module("stage%d" % (i + 1), stage)
        self.features.add_module("final_pool", nn.AvgPool2d(kernel_size=7, stride=1))
        self.output = nn.Linear(in_channels, num_classes)

    def forward(self, x):
        x = self.features(x)
        return self.output(x.view(x.size(0), -1))
