// Public exports of src/backbones; each module adds its own line.
