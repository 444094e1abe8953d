"""PyTorch oracle for vae_dist's ConvVAE, written from the architecture (not from the C++ code).

Usage: conv_vae_oracle.py MODEL.pt IO.pt
  MODEL.pt  the C++ model saved with torch::save; loaded with torch.jit.load, its
            named_parameters() must map one to one onto this module's state_dict.
  IO.pt     torch.load-able dict from the C++ side: x (the input padded to the canvas: 32×32,
            or the next power of two for larger images), image_size (the real H, W centred on
            it), eps, and the C++ results mu, log_var, reconstruction, loss and grad.<name> for
            every parameter.
Recomputes everything in float64 and exits non-zero when any relative error exceeds 1e-5.
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

TOLERANCE = 1e-5


class ConvVAE(nn.Module):
    """The seed's convolutional VAE: 4×4 kernels, 16 initial channels, 32×32 canvas. A canvas of
    32·2^d adds d stride-2 layers of 16 channels at each end: down1..down_d before enc1, up1..up_d
    after dec4 (the last to the image's channels), ReLU between layers."""

    def __init__(self, latent_dim, image_channels=1, init_channels=16, canvas=32):
        super().__init__()
        k = 4
        self.doublings = (canvas // 32).bit_length() - 1
        for i in range(1, self.doublings + 1):
            setattr(self, f"down{i}", nn.Conv2d(image_channels if i == 1 else init_channels, init_channels, k, stride=2, padding=1))
        inner = image_channels if self.doublings == 0 else init_channels
        self.enc1 = nn.Conv2d(inner, init_channels, k, stride=2, padding=1)
        self.enc2 = nn.Conv2d(init_channels, init_channels * 2, k, stride=2, padding=1)
        self.enc3 = nn.Conv2d(init_channels * 2, init_channels * 4, k, stride=2, padding=1)
        self.enc4 = nn.Conv2d(init_channels * 4, 64, k, stride=2, padding=0)
        self.fc1 = nn.Linear(64, 128)
        self.fc_mu = nn.Linear(128, latent_dim)
        self.fc_log_var = nn.Linear(128, latent_dim)
        self.fc2 = nn.Linear(latent_dim, 64)
        self.dec1 = nn.ConvTranspose2d(64, init_channels * 8, k, stride=1, padding=0)
        self.dec2 = nn.ConvTranspose2d(init_channels * 8, init_channels * 4, k, stride=2, padding=1)
        self.dec3 = nn.ConvTranspose2d(init_channels * 4, init_channels * 2, k, stride=2, padding=1)
        self.dec4 = nn.ConvTranspose2d(init_channels * 2, inner, k, stride=2, padding=1)
        for i in range(1, self.doublings + 1):
            out = image_channels if i == self.doublings else init_channels
            setattr(self, f"up{i}", nn.ConvTranspose2d(init_channels, out, k, stride=2, padding=1))

    def encode(self, x):
        """q(z|x): (mu, log_var)."""
        for i in range(1, self.doublings + 1):
            x = F.relu(getattr(self, f"down{i}")(x))
        x = F.relu(self.enc1(x))
        x = F.relu(self.enc2(x))
        x = F.relu(self.enc3(x))
        x = F.relu(self.enc4(x))
        x = F.adaptive_avg_pool2d(x, 1).reshape(x.shape[0], -1)
        hidden = self.fc1(x)
        return self.fc_mu(hidden), self.fc_log_var(hidden)

    def decode_logits(self, z):
        """The decoder up to, not including, the sigmoid."""
        x = self.fc2(z).view(-1, 64, 1, 1)
        x = F.relu(self.dec1(x))
        x = F.relu(self.dec2(x))
        x = F.relu(self.dec3(x))
        x = self.dec4(x)
        for i in range(1, self.doublings + 1):
            x = getattr(self, f"up{i}")(F.relu(x))
        return x

    def forward(self, x, eps):
        mu, log_var = self.encode(x)
        z = mu + eps * torch.exp(0.5 * log_var)
        return torch.sigmoid(self.decode_logits(z)), mu, log_var


def relative_error(got, want):
    return ((got.double() - want).norm() / want.norm().clamp_min(1e-30)).item()


def main(model_path, io_path):
    io = torch.load(io_path)
    scripted = torch.jit.load(model_path)
    named = dict(scripted.named_parameters())
    x = io["x"]
    model = ConvVAE(latent_dim=io["eps"].shape[1], image_channels=x.shape[1], canvas=x.shape[2]).double()
    expected = set(model.state_dict().keys())
    if set(named) != expected:
        print(f"parameter names differ: C++ {sorted(named)} vs seed {sorted(expected)}")
        return 1
    model.load_state_dict({name: value.double() for name, value in named.items()})

    x, eps = io["x"].double(), io["eps"].double()
    reconstruction, mu, log_var = model(x, eps)
    height, width = io["image_size"].tolist()
    top, left = (x.shape[2] - height) // 2, (x.shape[3] - width) // 2  # the real pixels, centred
    crop = (slice(None), slice(None), slice(top, top + height), slice(left, left + width))
    bce = F.binary_cross_entropy(reconstruction[crop], x[crop], reduction="sum")
    kld = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp())
    loss = (bce + kld) / x.shape[0]  # nats per image, averaged over the batch
    loss.backward()

    checks = {"mu": (io["mu"], mu), "log_var": (io["log_var"], log_var),
              "reconstruction": (io["reconstruction"], reconstruction), "loss": (io["loss"], loss)}
    for name, parameter in model.named_parameters():
        checks["grad." + name] = (io["grad." + name], parameter.grad)
    worst = 0.0
    for name, (got, want) in checks.items():
        error = relative_error(got, want.detach())
        worst = max(worst, error)
        status = "ok" if error < TOLERANCE else "MISMATCH"
        print(f"{name:24s} relative error {error:.2e} {status}")
    print(f"worst relative error {worst:.2e} (tolerance {TOLERANCE:g})")
    return 0 if worst < TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
