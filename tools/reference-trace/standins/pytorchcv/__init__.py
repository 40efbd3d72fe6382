"""A stand-in for the parts of the pytorchcv package that ar1-pytorch imports (written for the
trace harness from pytorchcv's documented mobilenet_w1 layout; no pytorchcv code)."""
