"""The references of bench/run-torch, timed in process (perf_counter, best of the
given runs): numpy for the 1024x1024 float32 product and the elementwise chain,
PyTorch (CPU) for the digits MLP epoch. Prints one line per measurement,
`NAME SECONDS_PER_ITERATION`, or `NAME skipped REASON` when a library is missing."""
import sys
import time


def best(f, n, runs):
    f()  # warm up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        for _ in range(n):
            f()
        times.append((time.perf_counter() - t) / n)
    return min(times)


def digits(path):
    xs, ys = [], []
    k = 0
    for line in open(path):
        if line.startswith("#"):
            continue
        k += 1
        if k % 5 != 0:
            xs.append([int(c, 17) / 16 for c in line.strip()[1:]])
            ys.append(int(line[0]))
    return xs, ys


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    path = sys.argv[2] if len(sys.argv) > 2 else "tests/data/digits.txt"
    try:
        import numpy as np
    except ImportError:
        print("matmul skipped numpy missing")
        print("elementwise skipped numpy missing")
    else:
        rng = np.random.default_rng(1)
        a = rng.random((1024, 1024), dtype=np.float32)
        b = rng.random((1024, 1024), dtype=np.float32)
        print("matmul", best(lambda: a @ b, 10, runs))
        x = rng.random(1 << 20, dtype=np.float32)
        y = rng.random(1 << 20, dtype=np.float32)
        print("elementwise", best(lambda: np.exp(np.tanh(x * 2 + 1)) * y, 20, runs))
    try:
        import torch
    except ImportError:
        print("digits_epoch skipped PyTorch missing")
        return
    torch.manual_seed(1)
    xs, ys = digits(path)
    x = torch.tensor(xs, dtype=torch.float32)
    y = torch.tensor(ys)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)

    def epoch():
        for first in range(0, len(ys), 100):
            xb, yb = x[first:first + 100], y[first:first + 100]
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()

    print("digits_epoch", best(epoch, 5, runs))


if __name__ == "__main__":
    main()
