/**
 * Whether this visitor uploads. `auto` respects the browser's data-saver signal and metered
 * (cellular) connections where the Network Information API exposes them: a visitor on a
 * metered plan never pays for another visitor's bytes.
 */
export type UploadSetting = 'auto' | 'always' | 'off';

interface NetworkInformationLike {
  saveData?: boolean;
  type?: string;
}

export function shouldUpload(setting: UploadSetting): boolean {
  if (setting === 'off') return false;
  if (setting === 'always') return true;
  const connection = (navigator as Navigator & { connection?: NetworkInformationLike }).connection;
  return !(connection?.saveData === true || connection?.type === 'cellular');
}
