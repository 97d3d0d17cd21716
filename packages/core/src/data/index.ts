// Public exports of src/data; each module adds its own line.
