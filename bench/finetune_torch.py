"""PyTorch CPU fine-tuning step, the PyTorch side of bench/finetune.bench.mjs.

The models @seg fine-tunes, as PyTorch builds them, random weights, train mode:
  deeplabv3plus_mobilenet_v3_large  @seg's deeplabV3Plus({ backbone: 'mobilenet_v3_large' }):
      torchvision's mobilenet_v3_large(dilated=True).features (output stride 16),
      features[16] into torchvision's ASPP (rates 6/12/18, 256 channels), the
      DeepLabV3+ decoder on features[3] (48-channel 1x1 projection, two 3x3
      conv + BN + ReLU of 256), 1x1 classifier, bilinear upsampling
  lraspp_mobilenet_v3_large         torchvision's own builder
One step: forward, cross-entropy, backward, torch.optim.SGD(lr 0.01, momentum
0.9, weight_decay 1e-4) as @seg's createOptimizer('sgd'). Thread counts are
timed side by side in one process: each round steps once per thread count
(torch.set_num_threads between them), so all see the same load.

  /usr/bin/python3 bench/finetune_torch.py --model lraspp_mobilenet_v3_large --size 320 --batch 8 --threads 1,2 [--steps 4]

Prints one JSON line:
  {"runtime", "model", "size", "batch", "classes", "ms_per_img": {threads: ms}, "peak_rss_mb"}
(medians over the steps after the first).
"""

import argparse
import json
import time

import torch
from torch import nn
from torch.nn import functional as F
from torchvision.models import mobilenet_v3_large
from torchvision.models.segmentation import lraspp_mobilenet_v3_large
from torchvision.models.segmentation.deeplabv3 import ASPP

from inference_torch import peak_rss_mb

LOW_LEVEL, DECODER = 48, 256


def conv_bn_relu(cin, cout, k):
    return [nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class DeepLabV3PlusMobileNet(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.features = mobilenet_v3_large(dilated=True).features
        self.aspp = ASPP(960, [6, 12, 18], DECODER)
        self.project = nn.Sequential(*conv_bn_relu(24, LOW_LEVEL, 1))
        self.fuse = nn.Sequential(*conv_bn_relu(DECODER + LOW_LEVEL, DECODER, 3), *conv_bn_relu(DECODER, DECODER, 3))
        self.classifier = nn.Conv2d(DECODER, classes, 1)

    def forward(self, x):
        low = self.features[:4](x)
        context = self.aspp(self.features[4:](low))
        up = F.interpolate(context, size=low.shape[-2:], mode="bilinear", align_corners=False)
        logits = self.classifier(self.fuse(torch.cat([up, self.project(low)], dim=1)))
        return F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)


class LRASPP(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.model = lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=classes)

    def forward(self, x):
        return self.model(x)["out"]


MODELS = {"deeplabv3plus_mobilenet_v3_large": DeepLabV3PlusMobileNet, "lraspp_mobilenet_v3_large": LRASPP}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="lraspp_mobilenet_v3_large", choices=sorted(MODELS))
    p.add_argument("--size", type=int, default=320)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--classes", type=int, default=21)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--steps", type=int, default=4)
    a = p.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    torch.manual_seed(0)
    model = MODELS[a.model](a.classes).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    x = torch.randn(a.batch, 3, a.size, a.size)
    y = torch.randint(0, a.classes, (a.batch, a.size, a.size))
    times = {t: [] for t in threads}
    for _ in range(max(2, a.steps)):
        for t in threads:
            torch.set_num_threads(t)
            t0 = time.perf_counter()
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
            times[t].append((time.perf_counter() - t0) * 1000)
    median = lambda v: sorted(v)[len(v) // 2]  # noqa: E731
    print(json.dumps({
        "runtime": f"pytorch-{torch.__version__.split('+')[0]}-cpu",
        "model": a.model,
        "size": a.size,
        "batch": a.batch,
        "classes": a.classes,
        "ms_per_img": {str(t): round(median(v[1:]) / a.batch) for t, v in times.items()},
        "peak_rss_mb": peak_rss_mb(),
    }), flush=True)


if __name__ == "__main__":
    main()
