// Public exports of src/kernels; each module adds its own line.
