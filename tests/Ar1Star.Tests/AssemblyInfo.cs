// Model initialisation draws from LibTorch's process-wide generator: tests that seed it and
// expect identical numbers must not interleave with other tests that draw from it.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
