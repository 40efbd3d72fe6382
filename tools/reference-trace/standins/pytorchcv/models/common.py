"""ConvBlock and DwsConvBlock with pytorchcv's child names (conv, bn, activ; dw_conv, pw_conv),
so that the reference's layer flattening, BN replacement and parameter names see what they
would see with pytorchcv. A ConvBlock tells the trace its output when the trace asks."""
import torch.nn as nn

# Set by trace.py: called as observer(block, output) after every ConvBlock forward.
observer = None


class ConvBlock(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, groups=1):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                              groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=1e-5)
        self.activ = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.activ(self.bn(self.conv(x)))
        if observer is not None:
            observer(self, x)
        return x


class DwsConvBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.dw_conv = ConvBlock(in_channels, in_channels, 3, stride, 1, groups=in_channels)
        self.pw_conv = ConvBlock(in_channels, out_channels, 1, 1, 0)

    def forward(self, x):
        return self.pw_conv(self.dw_conv(x))
