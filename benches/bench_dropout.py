"""Alpha dropout speed against the copy floor, numpy and PyTorch: see lucid.benchmarks."""

from lucid.benchmarks import main

if __name__ == "__main__":
    main()
