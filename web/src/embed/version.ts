/** The version of ckpay.js: its path on the checkout canister (/ckpay/<version>/ckpay.js)
 * and the version registered in the factory's component registry. */
export const CKPAY_VERSION = '1.0.0';
