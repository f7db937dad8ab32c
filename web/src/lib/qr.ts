// QR code of the deposit account (a data: URL image, drawn locally: nothing leaves the page).
import QRCode from 'qrcode';

export function qrDataUrl(text: string): Promise<string> {
  return QRCode.toDataURL(text, { margin: 1, width: 320, errorCorrectionLevel: 'M' });
}
