"""PyTorch CPU inference of DeepLabV3+, the PyTorch side of bench/inference.bench.mjs.

The same architecture as @seg/deeplab's deeplabV3Plus() and as
scripts/fixtures/deeplab_parity.py's module, at full width: torchvision's
ResNet trunk with replace_stride_with_dilation for the output stride,
torchvision's ASPP (rates 6/12/18 at OS 16, 12/24/36 at OS 8, 256 channels),
the paper's decoder (48-channel 1x1 low-level projection, two 3x3 conv + BN +
ReLU of 256 channels, 1x1 classifier) and bilinear upsampling
(align_corners=False). Random weights, eval mode, batch 1, torch.no_grad().

  /usr/bin/python3 bench/inference_torch.py --backbone resnet50 --output-stride 16 --size 320 --threads 2 [--runs 3]

Prints one JSON line:
  {"runtime", "backbone", "outputStride", "size", "batch", "threads", "ms_per_img", "peak_rss_mb"}
"""

import argparse
import json
import resource
import time

import torch
from torch import nn
from torch.nn import functional as F
from torchvision.models import resnet50, resnet101, resnet18, resnet34
from torchvision.models.segmentation.deeplabv3 import ASPP

TRUNKS = {"resnet18": resnet18, "resnet34": resnet34, "resnet50": resnet50, "resnet101": resnet101}
DILATION = {8: [False, True, True], 16: [False, False, True], 32: [False, False, False]}
RATES = {8: [12, 24, 36], 16: [6, 12, 18], 32: [3, 6, 9]}
LOW_LEVEL, DECODER = 48, 256


def conv_bn_relu(cin, cout, k):
    return [nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class DeepLabV3Plus(nn.Module):
    def __init__(self, backbone, output_stride, classes):
        super().__init__()
        basic = backbone in ("resnet18", "resnet34")
        # torchvision refuses to dilate basic blocks; @seg dilates them, so only bottleneck trunks are built dilated here.
        self.trunk = TRUNKS[backbone](replace_stride_with_dilation=None if basic else DILATION[output_stride])
        high, low = (512, 64) if basic else (2048, 256)
        self.aspp = ASPP(high, RATES[output_stride], DECODER)
        self.project = nn.Sequential(*conv_bn_relu(low, LOW_LEVEL, 1))
        self.fuse = nn.Sequential(*conv_bn_relu(DECODER + LOW_LEVEL, DECODER, 3), *conv_bn_relu(DECODER, DECODER, 3))
        self.classifier = nn.Conv2d(DECODER, classes, 1)

    def forward(self, x):
        t = self.trunk
        low = t.layer1(t.maxpool(t.relu(t.bn1(t.conv1(x)))))
        context = self.aspp(t.layer4(t.layer3(t.layer2(low))))
        up = F.interpolate(context, size=low.shape[-2:], mode="bilinear", align_corners=False)
        logits = self.classifier(self.fuse(torch.cat([up, self.project(low)], dim=1)))
        return F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)


def peak_rss_mb():
    """VmHWM: the peak resident set since exec (getrusage's maxrss would include the parent's before it)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--backbone", default="resnet50", choices=sorted(TRUNKS))
    p.add_argument("--output-stride", type=int, default=16, choices=sorted(DILATION))
    p.add_argument("--size", type=int, default=320)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--classes", type=int, default=21)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = DeepLabV3Plus(a.backbone, a.output_stride, a.classes).eval()
    x = torch.randn(1, 3, a.size, a.size)
    times = []
    with torch.no_grad():
        model(x)
        for _ in range(a.runs):
            t0 = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(json.dumps({
        "runtime": f"pytorch-{torch.__version__.split('+')[0]}-cpu",
        "backbone": a.backbone,
        "outputStride": a.output_stride,
        "size": a.size,
        "batch": 1,
        "threads": a.threads,
        "ms_per_img": round(times[len(times) // 2]),
        "peak_rss_mb": peak_rss_mb(),
    }), flush=True)


if __name__ == "__main__":
    main()
