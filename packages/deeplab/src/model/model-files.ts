// Model files live in @seg/core (any tfjs model can use them); re-exported here
// because `saveModel`/`loadModel` are part of this package's contract, and
// importing them from here also registers the DeepLabV3+ layer classes
// that loading needs.
import './deeplab-model.js';
import './input-size-guard.js';

export { type FileIOOptions, fileIO, loadModel, registerFileRouter, saveModel } from '@seg/core';
