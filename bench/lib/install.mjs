/**
 * First-use installs: the bench's own npm dependencies (tinybench plus the peers, each
 * optional so one that fails to install does not sink the others), and, only with
 * `--with-torch`, a Python venv with PyTorch under bench/.venv.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const log = (msg) => process.stderr.write(`${msg}\n`);

/** Environment for npm: onnxruntime-node's install script must not try to fetch CUDA files. */
function npmEnv() {
  return { ...process.env, ONNXRUNTIME_NODE_INSTALL_CUDA: 'skip', ONNXRUNTIME_NODE_INSTALL: 'skip' };
}

function npm(args, cwd) {
  const cmd = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(cmd, args, { cwd, env: npmEnv(), stdio: ['ignore', 2, 2] });
  return r.status === 0;
}

/** Installs bench/node_modules when it is missing (npm ci from the lock, else npm install). */
export function ensureNodeDeps(benchDir) {
  const hidden = join(benchDir, 'node_modules', '.package-lock.json');
  const tinybench = join(benchDir, 'node_modules', 'tinybench', 'package.json');
  if (existsSync(hidden) && existsSync(tinybench)) return true;
  log('bench: installing the benchmark dependencies into bench/node_modules (first run) ...');
  const flags = ['--no-audit', '--no-fund', '--loglevel=error'];
  if (existsSync(join(benchDir, 'package-lock.json')) && npm(['ci', ...flags], benchDir)) return true;
  log('bench: npm ci failed or no lock file; trying npm install');
  return npm(['install', ...flags], benchDir) && existsSync(tinybench);
}

/** Path of a Python with numpy, or null. */
export function findPython() {
  const candidates = process.env.PYTHON ? [process.env.PYTHON, 'python3', 'python'] : ['python3', 'python'];
  for (const exe of candidates) {
    const r = spawnSync(exe, ['-c', 'import sys; print(sys.version.split()[0])'], { encoding: 'utf8' });
    if (r.status === 0) return exe;
  }
  return null;
}

export function hasModule(python, module) {
  const r = spawnSync(python, ['-c', `import ${module}`], { encoding: 'utf8' });
  return r.status === 0;
}

/**
 * bench/.venv with the packages of bench/requirements-torch.txt. Returns
 * `{ python }` or `{ reason }`. PyPI's default Linux torch wheel pulls its CUDA libraries,
 * several GB: that is why this only runs with --with-torch.
 */
export function ensureTorchVenv(benchDir, systemPython) {
  const venv = join(benchDir, '.venv');
  const python = join(venv, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
  if (existsSync(python) && hasModule(python, 'torch') && hasModule(python, 'numpy')) return { python };
  if (!systemPython) return { reason: 'no python3 to create bench/.venv with' };
  if (!existsSync(python)) {
    log('bench: creating bench/.venv for PyTorch ...');
    const r = spawnSync(systemPython, ['-m', 'venv', venv], { stdio: ['ignore', 2, 2] });
    if (r.status !== 0 || !existsSync(python)) return { reason: `\`${systemPython} -m venv\` failed` };
  }
  log('bench: installing PyTorch into bench/.venv (PyPI wheel with CUDA libraries: several GB, once) ...');
  const r = spawnSync(
    python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '-r', join(benchDir, 'requirements-torch.txt')],
    { stdio: ['ignore', 2, 2] },
  );
  if (r.status !== 0) return { reason: 'pip install of torch into bench/.venv failed' };
  if (!hasModule(python, 'torch')) return { reason: 'torch does not import in bench/.venv' };
  return { python };
}
