/**
 * Facts the car image and the car agent share about OS updates: the image writes RAUC's
 * configuration and handler with them, the agent acts on them.
 */

/**
 * Where the car image's RAUC pre-install handler writes why it refused a bundle (RAUC 1.8 reports
 * only the handler's exit code): the image writes the handler, the agent reads the reason.
 */
export const OS_PRE_INSTALL_REFUSAL_FILE = '/run/edge-os-pre-install-refusal';

/**
 * Where RAUC's casync reads a chunked bundle's chunks from (the image's system.conf `[casync]
 * storepath`): the agent serves it on loopback during an install and fetches each chunk the running
 * slot lacks from the NUC. casync checks every chunk against the bundle's signed index.
 */
export const OS_CHUNK_PROXY_PORT = 7471;
export const OS_CHUNK_STORE_URL = `http://127.0.0.1:${OS_CHUNK_PROXY_PORT}/`;
