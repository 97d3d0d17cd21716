// Public exports of src/layers; each module adds its own line.
