// Preloaded with `node --import` into a vae-train child: on the Nth write of
// checkpoint bytes (they start with the magic "VAECKPT" and a format digit), writes only the
// first half and then SIGKILLs its own process, as a power cut or `kill -9`
// in the middle of the write would. Whatever file the trainer was writing to
// is left half-written; the test then checks that the checkpoint on disk is
// still the previous, intact one. N comes from VAE_TEST_CRASH_ON_CHECKPOINT_WRITE.
import fs from 'node:fs';

const crashOn = Number(process.env.VAE_TEST_CRASH_ON_CHECKPOINT_WRITE);
const MAGIC = Buffer.from("VAECKPT");
let seen = 0;

function isCheckpoint(data) {
  return ArrayBuffer.isView(data) && data.byteLength > MAGIC.length && Buffer.from(data.buffer, data.byteOffset, MAGIC.length).equals(MAGIC);
}

function halfThenDie(data, writeHalf) {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return Promise.resolve(writeHalf(bytes.subarray(0, bytes.length >> 1))).then(() => process.kill(process.pid, 'SIGKILL'));
}

function wrapAsync(obj, name) {
  const orig = obj[name];
  obj[name] = function (...args) {
    const dataIndex = name === 'write' || (name === 'writeFile' && obj !== fs.promises) ? 0 : 1;
    const data = args[dataIndex];
    if (isCheckpoint(data) && ++seen === crashOn) {
      return halfThenDie(data, (half) => orig.apply(this, Object.assign([...args], { [dataIndex]: half })));
    }
    return orig.apply(this, args);
  };
}

const probe = await fs.promises.open(process.execPath, 'r');
const FileHandleProto = Object.getPrototypeOf(probe);
await probe.close();
wrapAsync(FileHandleProto, 'writeFile');
wrapAsync(FileHandleProto, 'write');
wrapAsync(fs.promises, 'writeFile');
const origSync = fs.writeFileSync;
fs.writeFileSync = function (file, data, ...rest) {
  if (isCheckpoint(data) && ++seen === crashOn) {
    origSync.call(this, file, data.subarray(0, data.byteLength >> 1), ...rest);
    process.kill(process.pid, 'SIGKILL');
  }
  return origSync.call(this, file, data, ...rest);
};
