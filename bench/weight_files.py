"""The same state dict as a torch.save (.pth) file and a .safetensors file, for
pth-reading.bench.mjs: torchvision's resnet101 (44.5M parameters, a 171 MB .pth
like torchvision's resnet101-63fe2227.pth), random weights.

Run with Debian's torch: /usr/bin/python3 bench/weight_files.py <out dir> [resnet101|resnet18]
Writes <out dir>/<arch>.pth and <out dir>/<arch>.safetensors.
"""

import os
import sys

import torch
from torchvision.models import resnet

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts", "fixtures"))
from resnet_parity import write_safetensors  # noqa: E402

out, arch = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "resnet101")
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
state = getattr(resnet, arch)().state_dict()
torch.save(state, os.path.join(out, f"{arch}.pth"))
write_safetensors(os.path.join(out, f"{arch}.safetensors"), state)
