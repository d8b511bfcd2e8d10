/**
 * What of the manifest goes into the worker's script, and what into the asset table file beside
 * it (protocol/asset-table.ts, issue 14: the script must not grow with the site).
 */
import { createHash } from 'node:crypto';
import { assetTablePath, encodeAssetKeys, encodeAssetTable } from '../protocol/asset-table.ts';
import { ASSET_TABLE_INLINE_MAX_BYTES } from '../protocol/limits.ts';
import type { Manifest, WorkerManifest } from '../protocol/manifest.ts';

export interface SplitManifest {
  /**
   * Inlined into `peer-connect-sw.js`: the manifest without `assets`, plus their key set and table
   * root, and the table's text when it is small (ASSET_TABLE_INLINE_MAX_BYTES).
   */
  inlined: WorkerManifest;
  /** The table file: its path under the output (`peer-connect-assets/<root>.json`) and bytes. */
  table: { root: string; path: string; bytes: Uint8Array };
}

export function splitManifest(manifest: Manifest): SplitManifest {
  const { assets, ...rest } = manifest;
  const bytes = encodeAssetTable(assets);
  const root = createHash('sha256').update(bytes).digest('hex');
  const small = bytes.byteLength <= ASSET_TABLE_INLINE_MAX_BYTES;
  return {
    inlined: {
      ...rest,
      assetKeys: encodeAssetKeys(Object.keys(assets)),
      assetsRoot: root,
      ...(small ? { assetTable: new TextDecoder().decode(bytes) } : {}),
    },
    table: { root, path: assetTablePath(root), bytes },
  };
}
