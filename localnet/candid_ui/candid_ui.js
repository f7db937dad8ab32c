// \0rolldown/runtime.js
var e = Object.create, t = Object.defineProperty, n = Object.getOwnPropertyDescriptor, r = Object.getOwnPropertyNames, i = Object.getPrototypeOf, a = Object.prototype.hasOwnProperty, o = (e, t) => () => (t || (e((t = { exports: {} }).exports, t, t.exports), e = null), t.exports), s = (e, n) => {
	let r = {};
	for (var i in e) t(r, i, {
		get: e[i],
		enumerable: !0
	});
	return n || t(r, Symbol.toStringTag, { value: "Module" }), r;
}, c = (e, i, o, s) => {
	if (i && typeof i == "object" || typeof i == "function") for (var c = r(i), l = 0, u = c.length, d; l < u; l++) d = c[l], !a.call(e, d) && d !== o && t(e, d, {
		get: ((e) => i[e]).bind(null, d),
		enumerable: !(s = n(i, d)) || s.enumerable
	});
	return e;
}, l = (n, r, o) => (o = n == null ? {} : e(i(n)), c(r || !n || !n.__esModule || !a.call(n, "default") ? t(o, "default", {
	value: n,
	enumerable: !0
}) : o, n)), u = "abcdefghijklmnopqrstuvwxyz234567", d = Object.create(null);
for (let e = 0; e < 32; e++) d[u[e]] = e;
d[0] = d.o, d[1] = d.i;
function f(e) {
	let t = 0, n = 0, r = "";
	function i(e) {
		return t < 0 ? n |= e >> -t : n = e << t & 248, t > 3 ? (t -= 8, 1) : (t < 4 && (r += u[n >> 3], t += 5), 0);
	}
	for (let t = 0; t < e.length;) t += i(e[t]);
	return r + (t < 0 ? u[n >> 3] : "");
}
function p(e) {
	let t = 0, n = 0, r = new Uint8Array(e.length * 4 / 3 | 0), i = 0;
	function a(e) {
		let a = d[e.toLowerCase()];
		if (a === void 0) throw Error(`Invalid character: ${JSON.stringify(e)}`);
		a <<= 3, n |= a >>> t, t += 5, t >= 8 && (r[i++] = n, t -= 8, n = t > 0 ? a << 5 - t & 255 : 0);
	}
	for (let t of e) a(t);
	return r.slice(0, i);
}
// node_modules/@icp-sdk/core/lib/esm/principal/utils/getCrc.js
var m = new Uint32Array([
	0,
	1996959894,
	3993919788,
	2567524794,
	124634137,
	1886057615,
	3915621685,
	2657392035,
	249268274,
	2044508324,
	3772115230,
	2547177864,
	162941995,
	2125561021,
	3887607047,
	2428444049,
	498536548,
	1789927666,
	4089016648,
	2227061214,
	450548861,
	1843258603,
	4107580753,
	2211677639,
	325883990,
	1684777152,
	4251122042,
	2321926636,
	335633487,
	1661365465,
	4195302755,
	2366115317,
	997073096,
	1281953886,
	3579855332,
	2724688242,
	1006888145,
	1258607687,
	3524101629,
	2768942443,
	901097722,
	1119000684,
	3686517206,
	2898065728,
	853044451,
	1172266101,
	3705015759,
	2882616665,
	651767980,
	1373503546,
	3369554304,
	3218104598,
	565507253,
	1454621731,
	3485111705,
	3099436303,
	671266974,
	1594198024,
	3322730930,
	2970347812,
	795835527,
	1483230225,
	3244367275,
	3060149565,
	1994146192,
	31158534,
	2563907772,
	4023717930,
	1907459465,
	112637215,
	2680153253,
	3904427059,
	2013776290,
	251722036,
	2517215374,
	3775830040,
	2137656763,
	141376813,
	2439277719,
	3865271297,
	1802195444,
	476864866,
	2238001368,
	4066508878,
	1812370925,
	453092731,
	2181625025,
	4111451223,
	1706088902,
	314042704,
	2344532202,
	4240017532,
	1658658271,
	366619977,
	2362670323,
	4224994405,
	1303535960,
	984961486,
	2747007092,
	3569037538,
	1256170817,
	1037604311,
	2765210733,
	3554079995,
	1131014506,
	879679996,
	2909243462,
	3663771856,
	1141124467,
	855842277,
	2852801631,
	3708648649,
	1342533948,
	654459306,
	3188396048,
	3373015174,
	1466479909,
	544179635,
	3110523913,
	3462522015,
	1591671054,
	702138776,
	2966460450,
	3352799412,
	1504918807,
	783551873,
	3082640443,
	3233442989,
	3988292384,
	2596254646,
	62317068,
	1957810842,
	3939845945,
	2647816111,
	81470997,
	1943803523,
	3814918930,
	2489596804,
	225274430,
	2053790376,
	3826175755,
	2466906013,
	167816743,
	2097651377,
	4027552580,
	2265490386,
	503444072,
	1762050814,
	4150417245,
	2154129355,
	426522225,
	1852507879,
	4275313526,
	2312317920,
	282753626,
	1742555852,
	4189708143,
	2394877945,
	397917763,
	1622183637,
	3604390888,
	2714866558,
	953729732,
	1340076626,
	3518719985,
	2797360999,
	1068828381,
	1219638859,
	3624741850,
	2936675148,
	906185462,
	1090812512,
	3747672003,
	2825379669,
	829329135,
	1181335161,
	3412177804,
	3160834842,
	628085408,
	1382605366,
	3423369109,
	3138078467,
	570562233,
	1426400815,
	3317316542,
	2998733608,
	733239954,
	1555261956,
	3268935591,
	3050360625,
	752459403,
	1541320221,
	2607071920,
	3965973030,
	1969922972,
	40735498,
	2617837225,
	3943577151,
	1913087877,
	83908371,
	2512341634,
	3803740692,
	2075208622,
	213261112,
	2463272603,
	3855990285,
	2094854071,
	198958881,
	2262029012,
	4057260610,
	1759359992,
	534414190,
	2176718541,
	4139329115,
	1873836001,
	414664567,
	2282248934,
	4279200368,
	1711684554,
	285281116,
	2405801727,
	4167216745,
	1634467795,
	376229701,
	2685067896,
	3608007406,
	1308918612,
	956543938,
	2808555105,
	3495958263,
	1231636301,
	1047427035,
	2932959818,
	3654703836,
	1088359270,
	936918e3,
	2847714899,
	3736837829,
	1202900863,
	817233897,
	3183342108,
	3401237130,
	1404277552,
	615818150,
	3134207493,
	3453421203,
	1423857449,
	601450431,
	3009837614,
	3294710456,
	1567103746,
	711928724,
	3020668471,
	3272380065,
	1510334235,
	755167117
]);
function h(e) {
	let t = -1;
	for (let n = 0; n < e.length; n++) t = m[(e[n] ^ t) & 255] ^ t >>> 8;
	return (t ^ -1) >>> 0;
}
// node_modules/@noble/hashes/_u64.js
var g = /* @__PURE__ */ BigInt(2 ** 32 - 1), _ = /* @__PURE__ */ BigInt(32);
function v(e, t = !1) {
	return t ? {
		h: Number(e & g),
		l: Number(e >> _ & g)
	} : {
		h: Number(e >> _ & g) | 0,
		l: Number(e & g) | 0
	};
}
function y(e, t = !1) {
	let n = e.length, r = new Uint32Array(n), i = new Uint32Array(n);
	for (let a = 0; a < n; a++) {
		let { h: n, l: o } = v(e[a], t);
		[r[a], i[a]] = [n, o];
	}
	return [r, i];
}
var b = (e) => e / 2 ** 32 | 0, ee = (e) => e >>> 0;
function x(e, t, n, r) {
	let i = b(n), a = ee(n);
	e.setUint32(t, r ? a : i, r), e.setUint32(t + 4, r ? i : a, r);
}
var te = (e, t, n) => e >>> n, ne = (e, t, n) => e << 32 - n | t >>> n, S = (e, t, n) => e >>> n | t << 32 - n, C = (e, t, n) => e << 32 - n | t >>> n, re = (e, t, n) => e << 64 - n | t >>> n - 32, ie = (e, t, n) => e >>> n - 32 | t << 64 - n;
function w(e, t, n, r) {
	let i = (t >>> 0) + (r >>> 0);
	return {
		h: e + n + (i / 2 ** 32 | 0) | 0,
		l: i | 0
	};
}
var ae = (e, t, n) => (e >>> 0) + (t >>> 0) + (n >>> 0), oe = (e, t, n, r) => t + n + r + (e / 2 ** 32 | 0) | 0, se = (e, t, n, r) => (e >>> 0) + (t >>> 0) + (n >>> 0) + (r >>> 0), T = (e, t, n, r, i) => t + n + r + i + (e / 2 ** 32 | 0) | 0, ce = (e, t, n, r, i) => (e >>> 0) + (t >>> 0) + (n >>> 0) + (r >>> 0) + (i >>> 0), le = (e, t, n, r, i, a) => t + n + r + i + a + (e / 2 ** 32 | 0) | 0;
// node_modules/@noble/hashes/utils.js
function ue(e) {
	return e instanceof Uint8Array || ArrayBuffer.isView(e) && e.constructor.name === "Uint8Array" && "BYTES_PER_ELEMENT" in e && e.BYTES_PER_ELEMENT === 1;
}
var de = (e) => e ? `"${e}" ` : "";
function fe(e, t = "") {
	if (typeof e != "number") throw TypeError(de(t) + "expected number, got " + typeof e);
	if (!Number.isSafeInteger(e) || e < 0) throw RangeError(de(t) + "expected integer >= 0, got " + e);
	return e;
}
function pe(e, t, n = "") {
	if (ue(e) && (t === void 0 || e.length === t)) return e;
	t !== void 0 && fe(t, "length");
	let r = ue(e), i = t === void 0 ? "" : ` of length ${t}`, a = r ? `length=${e.length}` : `type=${typeof e}`, o = de(n) + "expected Uint8Array" + i + ", got " + a;
	throw r ? RangeError(o) : TypeError(o);
}
function me(e) {
	if (typeof e != "function" || typeof e.create != "function") throw TypeError("expected hash wrapped by utils.createHasher");
	if (fe(e.outputLen), fe(e.blockLen), e.outputLen < 1 || e.blockLen < 1) throw Error("hash blockLen / outputLen must be >= 1");
}
var he = (e, t) => {
	if (typeof e != "object" || !e || Array.isArray(e)) throw TypeError((t === "object" ? "" : `"${t}" `) + "expected object, got type=" + typeof e);
}, ge = (e, t) => {
	he(e, t);
	let n = Object.getPrototypeOf(e);
	if (n !== Object.prototype && n !== null) throw TypeError(`"${t}" expected plain object`);
	if (Object.hasOwn(e, "__proto__")) throw TypeError(`"${t}.__proto__" is not allowed`);
};
function _e(e, t = !0) {
	if (e.destroyed) throw Error("hash was destroyed");
	if (t && e.finished) throw Error("digest() was already called");
}
function ve(e, t) {
	pe(e, void 0, "output");
	let n = t.outputLen;
	if (!(e.length >= n)) throw RangeError("\"output\" expected length >= " + n);
}
function ye(...e) {
	for (let t = 0; t < e.length; t++) e[t].fill(0);
}
function be(e) {
	return new DataView(e.buffer, e.byteOffset, e.byteLength);
}
function xe(e, t) {
	return e << 32 - t | e >>> t;
}
function Se(e, t) {
	return e << t | e >>> 32 - t >>> 0;
}
var Ce = typeof Uint8Array.from([]).toHex == "function" && typeof Uint8Array.fromHex == "function", we = /* @__PURE__ */ Array.from({ length: 256 }, (e, t) => t.toString(16).padStart(2, "0"));
function E(e) {
	if (pe(e), Ce) return e.toHex();
	let t = "";
	for (let n = 0; n < e.length; n++) t += we[e[n]];
	return t;
}
function Te(e) {
	return e >= 48 && e <= 57 ? e - 48 : e >= 65 && e <= 70 ? e - 55 : e >= 97 && e <= 102 ? e - 87 : void 0;
}
function Ee(e) {
	if (typeof e != "string") throw TypeError("hex string expected, got " + typeof e);
	if (Ce) try {
		return Uint8Array.fromHex(e);
	} catch (e) {
		throw e instanceof SyntaxError ? RangeError(e.message) : e;
	}
	let t = e.length, n = t / 2;
	if (t % 2) throw RangeError("hex string expected, got unpadded hex of length " + t);
	let r = new Uint8Array(n);
	for (let t = 0, i = 0; t < n; t++, i += 2) {
		let n = Te(e.charCodeAt(i)), a = Te(e.charCodeAt(i + 1));
		if (n === void 0 || a === void 0) {
			let t = e[i] + e[i + 1];
			throw RangeError("hex string expected, got non-hex character \"" + t + "\" at index " + i);
		}
		r[t] = n * 16 + a;
	}
	return r;
}
function De(e) {
	if (typeof e != "string") throw TypeError("string expected");
	let t = new TextEncoder().encode(e);
	try {
		return new Uint8Array(t);
	} finally {
		ye(t);
	}
}
function Oe(e, t = "") {
	return typeof e == "string" ? De(e) : pe(e, void 0, t);
}
function ke(...e) {
	let t = 0;
	for (let n = 0; n < e.length; n++) {
		let r = e[n];
		pe(r), t += r.length;
	}
	let n = new Uint8Array(t);
	for (let t = 0, r = 0; t < e.length; t++) {
		let i = e[t];
		n.set(i, r), r += i.length;
	}
	return n;
}
function Ae(e, t, n = "opts") {
	return ge(e, "defaults"), t !== void 0 && ge(t, n), Object.assign(Object.create(null), e, t);
}
function je(e, t = {}) {
	if (typeof e != "function") throw TypeError("\"hashCons\" expected function, got type=" + typeof e);
	t = Ae({}, t, "info");
	let n = (t, n) => e(n).update(t).digest(), r = e(void 0);
	return n.outputLen = r.outputLen, n.blockLen = r.blockLen, n.canXOF = r.canXOF, n.create = (t) => e(t), Object.assign(n, t), Object.freeze(n);
}
function Me(e = 32) {
	fe(e, "bytesLength");
	let t = typeof globalThis == "object" ? globalThis.crypto : null;
	if (typeof t?.getRandomValues != "function") throw Error("crypto.getRandomValues must be defined");
	if (e > 65536) throw RangeError(`"bytesLength" expected <= 65536, got ${e}`);
	return t.getRandomValues(new Uint8Array(e));
}
var Ne = (e) => ({ oid: Uint8Array.from([
	6,
	9,
	96,
	134,
	72,
	1,
	101,
	3,
	4,
	2,
	e
]) });
// node_modules/@noble/hashes/_md.js
function Pe(e, t, n) {
	return e & t ^ ~e & n;
}
function Fe(e, t, n) {
	return e & t ^ e & n ^ t & n;
}
var Ie = class {
	blockLen;
	outputLen;
	canXOF = !1;
	padOffset;
	isLE;
	buffer;
	view;
	finished = !1;
	length = 0;
	pos = 0;
	destroyed = !1;
	constructor(e, t, n, r) {
		this.blockLen = e, this.outputLen = t, this.padOffset = n, this.isLE = r, this.buffer = new Uint8Array(e), this.view = be(this.buffer);
	}
	update(e) {
		_e(this), pe(e);
		let { view: t, buffer: n, blockLen: r } = this, i = e.length, a = !1;
		for (let o = 0; o < i;) {
			let s = Math.min(r - this.pos, i - o);
			if (s === r) {
				let t = be(e);
				for (; r <= i - o; o += r) this.process(t, o);
				a = !0;
			} else n.set(o === 0 && s === i ? e : e.subarray(o, o + s), this.pos), this.pos += s, o += s, this.pos === r && (this.process(t, 0), this.pos = 0, a = !0);
		}
		return this.length += e.length, a && this.roundClean(), this;
	}
	digestInto(e) {
		_e(this), ve(e, this), this.finished = !0;
		let { buffer: t, view: n, blockLen: r, isLE: i } = this, { pos: a } = this;
		t[a++] = 128, t.fill(0, a), this.padOffset > r - a && (this.process(n, 0), t.fill(0)), x(n, r - 8, this.length * 8, i), this.process(n, 0), this.roundClean();
		let o = e === t ? n : be(e), s = this.outputLen, c = s / 4, l = this.get();
		if (s % 4 || c > l.length) throw Error("invalid outputLen");
		for (let e = 0; e < c; e++) o.setUint32(4 * e, l[e], i);
	}
	digest() {
		let { buffer: e, outputLen: t } = this;
		this.digestInto(e);
		let n = e.slice(0, t);
		return this.destroy(), n;
	}
	_cloneIntoMeta(e) {
		let { buffer: t, length: n, finished: r, destroyed: i, pos: a } = this;
		return e.destroyed = i, e.finished = r, e.length = n, e.pos = a, a && e.buffer.set(t), e;
	}
	clone() {
		return this._cloneInto();
	}
}, Le = /* @__PURE__ */ Uint32Array.from([
	1779033703,
	3144134277,
	1013904242,
	2773480762,
	1359893119,
	2600822924,
	528734635,
	1541459225
]), Re = /* @__PURE__ */ Uint32Array.from([
	3238371032,
	914150663,
	812702999,
	4144912697,
	4290775857,
	1750603025,
	1694076839,
	3204075428
]), ze = /* @__PURE__ */ Uint32Array.from([
	1779033703,
	4089235720,
	3144134277,
	2227873595,
	1013904242,
	4271175723,
	2773480762,
	1595750129,
	1359893119,
	2917565137,
	2600822924,
	725511199,
	528734635,
	4215389547,
	1541459225,
	327033209
]), Be = /* @__PURE__ */ Uint32Array.from([
	1116352408,
	1899447441,
	3049323471,
	3921009573,
	961987163,
	1508970993,
	2453635748,
	2870763221,
	3624381080,
	310598401,
	607225278,
	1426881987,
	1925078388,
	2162078206,
	2614888103,
	3248222580,
	3835390401,
	4022224774,
	264347078,
	604807628,
	770255983,
	1249150122,
	1555081692,
	1996064986,
	2554220882,
	2821834349,
	2952996808,
	3210313671,
	3336571891,
	3584528711,
	113926993,
	338241895,
	666307205,
	773529912,
	1294757372,
	1396182291,
	1695183700,
	1986661051,
	2177026350,
	2456956037,
	2730485921,
	2820302411,
	3259730800,
	3345764771,
	3516065817,
	3600352804,
	4094571909,
	275423344,
	430227734,
	506948616,
	659060556,
	883997877,
	958139571,
	1322822218,
	1537002063,
	1747873779,
	1955562222,
	2024104815,
	2227730452,
	2361852424,
	2428436474,
	2756734187,
	3204031479,
	3329325298
]), Ve = /* @__PURE__ */ new Uint32Array(64), He = class extends Ie {
	A = 0;
	B = 0;
	C = 0;
	D = 0;
	E = 0;
	F = 0;
	G = 0;
	H = 0;
	constructor(e, t) {
		super(64, e, 8, !1), this.A = t[0] | 0, this.B = t[1] | 0, this.C = t[2] | 0, this.D = t[3] | 0, this.E = t[4] | 0, this.F = t[5] | 0, this.G = t[6] | 0, this.H = t[7] | 0;
	}
	get() {
		let { A: e, B: t, C: n, D: r, E: i, F: a, G: o, H: s } = this;
		return [
			e,
			t,
			n,
			r,
			i,
			a,
			o,
			s
		];
	}
	set(e, t, n, r, i, a, o, s) {
		this.A = e | 0, this.B = t | 0, this.C = n | 0, this.D = r | 0, this.E = i | 0, this.F = a | 0, this.G = o | 0, this.H = s | 0;
	}
	_cloneInto(e) {
		return (e ||= new this.constructor()).set(...this.get()), this._cloneIntoMeta(e);
	}
	process(e, t) {
		for (let n = 0; n < 16; n++, t += 4) Ve[n] = e.getUint32(t, !1);
		for (let e = 16; e < 64; e++) {
			let t = Ve[e - 15], n = Ve[e - 2], r = xe(t, 7) ^ xe(t, 18) ^ t >>> 3, i = xe(n, 17) ^ xe(n, 19) ^ n >>> 10;
			Ve[e] = i + Ve[e - 7] + r + Ve[e - 16] | 0;
		}
		let { A: n, B: r, C: i, D: a, E: o, F: s, G: c, H: l } = this;
		for (let e = 0; e < 64; e++) {
			let t = xe(o, 6) ^ xe(o, 11) ^ xe(o, 25), u = l + t + Pe(o, s, c) + Be[e] + Ve[e] | 0, d = (xe(n, 2) ^ xe(n, 13) ^ xe(n, 22)) + Fe(n, r, i) | 0;
			l = c, c = s, s = o, o = a + u | 0, a = i, i = r, r = n, n = u + d | 0;
		}
		n = n + this.A | 0, r = r + this.B | 0, i = i + this.C | 0, a = a + this.D | 0, o = o + this.E | 0, s = s + this.F | 0, c = c + this.G | 0, l = l + this.H | 0, this.set(n, r, i, a, o, s, c, l);
	}
	roundClean() {
		ye(Ve);
	}
	destroy() {
		this.destroyed = !0, this.set(0, 0, 0, 0, 0, 0, 0, 0), ye(this.buffer);
	}
}, Ue = class extends He {
	constructor() {
		super(32, Le);
	}
}, We = class extends He {
	constructor() {
		super(28, Re);
	}
}, Ge = /* @__PURE__ */ y((/* @__PURE__ */ "0x428a2f98d728ae22.0x7137449123ef65cd.0xb5c0fbcfec4d3b2f.0xe9b5dba58189dbbc.0x3956c25bf348b538.0x59f111f1b605d019.0x923f82a4af194f9b.0xab1c5ed5da6d8118.0xd807aa98a3030242.0x12835b0145706fbe.0x243185be4ee4b28c.0x550c7dc3d5ffb4e2.0x72be5d74f27b896f.0x80deb1fe3b1696b1.0x9bdc06a725c71235.0xc19bf174cf692694.0xe49b69c19ef14ad2.0xefbe4786384f25e3.0x0fc19dc68b8cd5b5.0x240ca1cc77ac9c65.0x2de92c6f592b0275.0x4a7484aa6ea6e483.0x5cb0a9dcbd41fbd4.0x76f988da831153b5.0x983e5152ee66dfab.0xa831c66d2db43210.0xb00327c898fb213f.0xbf597fc7beef0ee4.0xc6e00bf33da88fc2.0xd5a79147930aa725.0x06ca6351e003826f.0x142929670a0e6e70.0x27b70a8546d22ffc.0x2e1b21385c26c926.0x4d2c6dfc5ac42aed.0x53380d139d95b3df.0x650a73548baf63de.0x766a0abb3c77b2a8.0x81c2c92e47edaee6.0x92722c851482353b.0xa2bfe8a14cf10364.0xa81a664bbc423001.0xc24b8b70d0f89791.0xc76c51a30654be30.0xd192e819d6ef5218.0xd69906245565a910.0xf40e35855771202a.0x106aa07032bbd1b8.0x19a4c116b8d2d0c8.0x1e376c085141ab53.0x2748774cdf8eeb99.0x34b0bcb5e19b48a8.0x391c0cb3c5c95a63.0x4ed8aa4ae3418acb.0x5b9cca4f7763e373.0x682e6ff3d6b2b8a3.0x748f82ee5defb2fc.0x78a5636f43172f60.0x84c87814a1f0ab72.0x8cc702081a6439ec.0x90befffa23631e28.0xa4506cebde82bde9.0xbef9a3f7b2c67915.0xc67178f2e372532b.0xca273eceea26619c.0xd186b8c721c0c207.0xeada7dd6cde0eb1e.0xf57d4f7fee6ed178.0x06f067aa72176fba.0x0a637dc5a2c898a6.0x113f9804bef90dae.0x1b710b35131c471b.0x28db77f523047d84.0x32caab7b40c72493.0x3c9ebe0a15c9bebc.0x431d67c49c100d4c.0x4cc5d4becb3e42b6.0x597f299cfc657e2a.0x5fcb6fab3ad6faec.0x6c44198c4a475817".split(".")).map((e) => BigInt(e))), Ke = Ge[0], qe = Ge[1], Je = /* @__PURE__ */ new Uint32Array(80), Ye = /* @__PURE__ */ new Uint32Array(80), Xe = class extends Ie {
	Ah = 0;
	Al = 0;
	Bh = 0;
	Bl = 0;
	Ch = 0;
	Cl = 0;
	Dh = 0;
	Dl = 0;
	Eh = 0;
	El = 0;
	Fh = 0;
	Fl = 0;
	Gh = 0;
	Gl = 0;
	Hh = 0;
	Hl = 0;
	constructor(e, t) {
		super(128, e, 16, !1), this.Ah = t[0] | 0, this.Al = t[1] | 0, this.Bh = t[2] | 0, this.Bl = t[3] | 0, this.Ch = t[4] | 0, this.Cl = t[5] | 0, this.Dh = t[6] | 0, this.Dl = t[7] | 0, this.Eh = t[8] | 0, this.El = t[9] | 0, this.Fh = t[10] | 0, this.Fl = t[11] | 0, this.Gh = t[12] | 0, this.Gl = t[13] | 0, this.Hh = t[14] | 0, this.Hl = t[15] | 0;
	}
	get() {
		let { Ah: e, Al: t, Bh: n, Bl: r, Ch: i, Cl: a, Dh: o, Dl: s, Eh: c, El: l, Fh: u, Fl: d, Gh: f, Gl: p, Hh: m, Hl: h } = this;
		return [
			e,
			t,
			n,
			r,
			i,
			a,
			o,
			s,
			c,
			l,
			u,
			d,
			f,
			p,
			m,
			h
		];
	}
	set(e, t, n, r, i, a, o, s, c, l, u, d, f, p, m, h) {
		this.Ah = e | 0, this.Al = t | 0, this.Bh = n | 0, this.Bl = r | 0, this.Ch = i | 0, this.Cl = a | 0, this.Dh = o | 0, this.Dl = s | 0, this.Eh = c | 0, this.El = l | 0, this.Fh = u | 0, this.Fl = d | 0, this.Gh = f | 0, this.Gl = p | 0, this.Hh = m | 0, this.Hl = h | 0;
	}
	_cloneInto(e) {
		return (e ||= new this.constructor()).set(...this.get()), this._cloneIntoMeta(e);
	}
	process(e, t) {
		for (let n = 0; n < 16; n++, t += 4) Je[n] = e.getUint32(t), Ye[n] = e.getUint32(t += 4);
		for (let e = 16; e < 80; e++) {
			let t = Je[e - 15] | 0, n = Ye[e - 15] | 0, r = S(t, n, 1) ^ S(t, n, 8) ^ te(t, n, 7), i = C(t, n, 1) ^ C(t, n, 8) ^ ne(t, n, 7), a = Je[e - 2] | 0, o = Ye[e - 2] | 0, s = S(a, o, 19) ^ re(a, o, 61) ^ te(a, o, 6), c = se(i, C(a, o, 19) ^ ie(a, o, 61) ^ ne(a, o, 6), Ye[e - 7], Ye[e - 16]), l = T(c, r, s, Je[e - 7], Je[e - 16]);
			Je[e] = l | 0, Ye[e] = c | 0;
		}
		let { Ah: n, Al: r, Bh: i, Bl: a, Ch: o, Cl: s, Dh: c, Dl: l, Eh: u, El: d, Fh: f, Fl: p, Gh: m, Gl: h, Hh: g, Hl: _ } = this;
		for (let e = 0; e < 80; e++) {
			let t = S(u, d, 14) ^ S(u, d, 18) ^ re(u, d, 41), v = C(u, d, 14) ^ C(u, d, 18) ^ ie(u, d, 41), y = u & f ^ ~u & m, b = d & p ^ ~d & h, ee = ce(_, v, b, qe[e], Ye[e]), x = le(ee, g, t, y, Ke[e], Je[e]), te = ee | 0, ne = S(n, r, 28) ^ re(n, r, 34) ^ re(n, r, 39), se = C(n, r, 28) ^ ie(n, r, 34) ^ ie(n, r, 39), T = n & i ^ n & o ^ i & o, ue = r & a ^ r & s ^ a & s;
			g = m | 0, _ = h | 0, m = f | 0, h = p | 0, f = u | 0, p = d | 0, {h: u, l: d} = w(c | 0, l | 0, x | 0, te | 0), c = o | 0, l = s | 0, o = i | 0, s = a | 0, i = n | 0, a = r | 0;
			let de = ae(te, se, ue);
			n = oe(de, x, ne, T), r = de | 0;
		}
		({h: n, l: r} = w(this.Ah | 0, this.Al | 0, n | 0, r | 0)), {h: i, l: a} = w(this.Bh | 0, this.Bl | 0, i | 0, a | 0), {h: o, l: s} = w(this.Ch | 0, this.Cl | 0, o | 0, s | 0), {h: c, l: l} = w(this.Dh | 0, this.Dl | 0, c | 0, l | 0), {h: u, l: d} = w(this.Eh | 0, this.El | 0, u | 0, d | 0), {h: f, l: p} = w(this.Fh | 0, this.Fl | 0, f | 0, p | 0), {h: m, l: h} = w(this.Gh | 0, this.Gl | 0, m | 0, h | 0), {h: g, l: _} = w(this.Hh | 0, this.Hl | 0, g | 0, _ | 0), this.set(n, r, i, a, o, s, c, l, u, d, f, p, m, h, g, _);
	}
	roundClean() {
		ye(Je, Ye);
	}
	destroy() {
		this.destroyed = !0, ye(this.buffer), this.set(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	}
}, Ze = class extends Xe {
	constructor() {
		super(64, ze);
	}
}, Qe = /* @__PURE__ */ je(() => new Ue(), /* @__PURE__ */ Ne(1)), $e = /* @__PURE__ */ je(() => new We(), /* @__PURE__ */ Ne(4)), et = /* @__PURE__ */ je(() => new Ze(), /* @__PURE__ */ Ne(3)), tt = "__principal__", nt = 2, rt = 4, it = "aaaaa-aa", D = class e {
	static anonymous() {
		return new this(new Uint8Array([rt]));
	}
	static managementCanister() {
		return this.fromText(it);
	}
	static selfAuthenticating(e) {
		let t = $e(e);
		return new this(new Uint8Array([...t, nt]));
	}
	static from(t) {
		if (typeof t == "string") return e.fromText(t);
		if (Object.getPrototypeOf(t) === Uint8Array.prototype) return new e(t);
		if (e.isPrincipal(t)) return new e(t._arr);
		throw Error(`Impossible to convert ${JSON.stringify(t)} to Principal.`);
	}
	static fromHex(e) {
		return new this(Ee(e));
	}
	static fromText(e) {
		let t = e;
		if (e.includes("__principal__")) {
			let n = JSON.parse(e);
			"__principal__" in n && (t = n[tt]);
		}
		let n = p(t.toLowerCase().replace(/-/g, ""));
		n = n.slice(4, n.length);
		let r = new this(n);
		if (r.toText() !== t) throw Error(`Principal "${r.toText()}" does not have a valid checksum (original value "${t}" may not be a valid Principal ID).`);
		return r;
	}
	static fromUint8Array(e) {
		return new this(e);
	}
	static isPrincipal(t) {
		return t instanceof e || typeof t == "object" && !!t && "_isPrincipal" in t && t._isPrincipal === !0 && "_arr" in t && t._arr instanceof Uint8Array;
	}
	constructor(e) {
		this._arr = e, this._isPrincipal = !0;
	}
	isAnonymous() {
		return this._arr.byteLength === 1 && this._arr[0] === rt;
	}
	toUint8Array() {
		return this._arr;
	}
	toHex() {
		return E(this._arr).toUpperCase();
	}
	toText() {
		let e = /* @__PURE__ */ new ArrayBuffer(4);
		new DataView(e).setUint32(0, h(this._arr));
		let t = new Uint8Array(e), n = f(new Uint8Array([...t, ...this._arr])).match(/.{1,5}/g);
		if (!n) throw Error();
		return n.join("-");
	}
	toString() {
		return this.toText();
	}
	toJSON() {
		return { [tt]: this.toText() };
	}
	compareTo(e) {
		for (let t = 0; t < Math.min(this._arr.length, e._arr.length); t++) {
			if (this._arr[t] < e._arr[t]) return "lt";
			if (this._arr[t] > e._arr[t]) return "gt";
		}
		return this._arr.length < e._arr.length ? "lt" : this._arr.length > e._arr.length ? "gt" : "eq";
	}
	ltEq(e) {
		let t = this.compareTo(e);
		return t == "lt" || t == "eq";
	}
	gtEq(e) {
		let t = this.compareTo(e);
		return t == "gt" || t == "eq";
	}
}, at = class extends Error {
	constructor(e) {
		super(e), this.name = "DecodingError";
	}
}, ot = 55799, st = /* @__PURE__ */ Symbol("CBOR_STOP_CODE"), ct = /* @__PURE__ */ ((e) => (e[e.False = 20] = "False", e[e.True = 21] = "True", e[e.Null = 22] = "Null", e[e.Undefined = 23] = "Undefined", e[e.Break = 31] = "Break", e))(ct || {}), O = /* @__PURE__ */ ((e) => (e[e.UnsignedInteger = 0] = "UnsignedInteger", e[e.NegativeInteger = 1] = "NegativeInteger", e[e.ByteString = 2] = "ByteString", e[e.TextString = 3] = "TextString", e[e.Array = 4] = "Array", e[e.Map = 5] = "Map", e[e.Tag = 6] = "Tag", e[e.Simple = 7] = "Simple", e))(O || {}), lt = 23, ut = 255, dt = 65535, ft = 4294967295, pt = BigInt("0xffffffffffffffff"), mt = /* @__PURE__ */ ((e) => (e[e.Value = 23] = "Value", e[e.OneByte = 24] = "OneByte", e[e.TwoBytes = 25] = "TwoBytes", e[e.FourBytes = 26] = "FourBytes", e[e.EightBytes = 27] = "EightBytes", e[e.Indefinite = 31] = "Indefinite", e))(mt || {}), ht = !1;
function gt(e) {
	return e == null;
}
function _t(e, t) {
	let n = new Uint8Array(t);
	return n.set(e), n;
}
var vt = new TextDecoder();
function yt(e) {
	return (e & 224) >> 5;
}
function bt(e) {
	return e & 31;
}
var xt = /* @__PURE__ */ new Uint8Array(), St, Ct = 0;
function wt(e, t) {
	xt = e, Ct = 0;
	let n = Tt(t);
	return t?.(n) ?? n;
}
function Tt(e) {
	let [t, n] = Et();
	switch (t) {
		case O.UnsignedInteger: return At(n);
		case O.NegativeInteger: return jt(n);
		case O.ByteString: return Mt(n);
		case O.TextString: return Nt(n);
		case O.Array: return Dt(n, e);
		case O.Map: return kt(n, e);
		case O.Tag: return Pt(n, e);
		case O.Simple: return Ot(n);
	}
	throw new at(`Unsupported major type: ${t}`);
}
function Et() {
	let e = xt.at(Ct);
	if (gt(e)) throw new at("Provided CBOR data is empty");
	let t = yt(e), n = bt(e);
	return Ct++, [t, n];
}
function Dt(e, t) {
	let n = At(e);
	if (n === 1 / 0) {
		let e = [], n = Tt(t);
		for (; n !== st;) e.push(t?.(n) ?? n), n = Tt(t);
		return e;
	}
	let r = Array(n);
	for (let e = 0; e < n; e++) {
		let n = Tt(t);
		r[e] = t?.(n) ?? n;
	}
	return r;
}
function Ot(e) {
	switch (e) {
		case ct.False: return !1;
		case ct.True: return !0;
		case ct.Null: return null;
		case ct.Undefined: return;
		case ct.Break: return st;
	}
	throw new at(`Unrecognized simple type: ${e.toString(2)}`);
}
function kt(e, t) {
	let n = At(e), r = {};
	if (n === 1 / 0) {
		let [e, n] = Et();
		for (; e !== O.Simple && n !== ct.Break;) {
			let i = Nt(n), a = Tt(t);
			r[i] = t?.(a, i) ?? a, [e, n] = Et();
		}
		return r;
	}
	for (let e = 0; e < n; e++) {
		let [e, n] = Et();
		if (e !== O.TextString) throw new at("Map keys must be text strings");
		let i = Nt(n), a = Tt(t);
		r[i] = t?.(a, i) ?? a;
	}
	return r;
}
function At(e) {
	if (e <= mt.Value) return e;
	switch (St = new DataView(xt.buffer, xt.byteOffset + Ct), e) {
		case mt.OneByte: return Ct++, St.getUint8(0);
		case mt.TwoBytes: return Ct += 2, St.getUint16(0, ht);
		case mt.FourBytes: return Ct += 4, St.getUint32(0, ht);
		case mt.EightBytes: return Ct += 8, St.getBigUint64(0, ht);
		case mt.Indefinite: return 1 / 0;
		default: throw new at(`Unsupported integer info: ${e.toString(2)}`);
	}
}
function jt(e) {
	let t = At(e);
	return typeof t == "number" ? -1 - t : -1n - t;
}
function Mt(e) {
	let t = At(e);
	if (t > 2 ** 53 - 1) throw new at("Byte length is too large");
	let n = Number(t);
	return Ct += n, xt.slice(Ct - n, Ct);
}
function Nt(e) {
	let t = Mt(e);
	return vt.decode(t);
}
function Pt(e, t) {
	let n = At(e);
	if (n === ot) return Tt(t);
	throw new at(`Unsupported tag: ${n}.`);
}
var Ft = class extends Error {
	constructor(e) {
		super(e), this.name = "SerializationError";
	}
}, It = 2048, Lt = 100, Rt = new TextEncoder();
function zt(e) {
	return e << 5;
}
var Bt = new Uint8Array(It), Vt = new DataView(Bt.buffer), k = 0, Ht = [];
function Ut(e, t) {
	return k = 0, an(ot, t?.(e) ?? e, t), Bt.slice(0, k);
}
function Wt(e) {
	let t = Bt.length * 2;
	for (; t < e;) t *= 2;
	Bt = _t(Bt, t), Vt = new DataView(Bt.buffer);
}
function Gt(e, t) {
	if (e === !1 || e === !0 || e == null) Yt(e);
	else if (typeof e == "number" || typeof e == "bigint") tn(e);
	else if (typeof e == "string") nn(e);
	else if (e instanceof Uint8Array) rn(e);
	else if (e instanceof ArrayBuffer) rn(new Uint8Array(e));
	else if (Array.isArray(e)) Kt(e, t);
	else if (typeof e == "object") qt(e, t);
	else throw new Ft(`Unsupported type: ${typeof e}`);
}
function Kt(e, t) {
	Jt(O.Array, e.length), e.forEach((e, n) => {
		Gt(t?.(e, n.toString()) ?? e, t);
	});
}
function qt(e, t) {
	Ht = Object.entries(e), Jt(O.Map, Ht.length), Ht.forEach(([e, n]) => {
		nn(e), Gt(t?.(n, e) ?? n, t);
	});
}
function Jt(e, t) {
	if (k > Bt.length - Lt && Wt(k + Lt), t <= lt) Vt.setUint8(k++, zt(e) | Number(t));
	else if (t <= ut) Vt.setUint8(k++, zt(e) | mt.OneByte), Vt.setUint8(k, Number(t)), k += 1;
	else if (t <= dt) Vt.setUint8(k++, zt(e) | mt.TwoBytes), Vt.setUint16(k, Number(t), ht), k += 2;
	else if (t <= ft) Vt.setUint8(k++, zt(e) | mt.FourBytes), Vt.setUint32(k, Number(t), ht), k += 4;
	else if (t <= pt) Vt.setUint8(k++, zt(e) | mt.EightBytes), Vt.setBigUint64(k, BigInt(t), ht), k += 8;
	else throw new Ft(`Value too large to encode: ${t}`);
}
function Yt(e) {
	Jt(O.Simple, Xt(e));
}
function Xt(e) {
	if (e === !1) return ct.False;
	if (e === !0) return ct.True;
	if (e === null) return ct.Null;
	if (e === void 0) return ct.Undefined;
	throw new Ft(`Unrecognized simple value: ${e.toString()}`);
}
function Zt(e, t) {
	Jt(e, t.length), k > Bt.length - t.length && Wt(k + t.length), Bt.set(t, k), k += t.length;
}
function Qt(e, t) {
	Jt(e, t);
}
function $t(e) {
	Qt(O.UnsignedInteger, e);
}
function en(e) {
	Qt(O.NegativeInteger, typeof e == "bigint" ? -1n - e : -1 - e);
}
function tn(e) {
	e >= 0 ? $t(e) : en(e);
}
function nn(e) {
	Zt(O.TextString, Rt.encode(e));
}
function rn(e) {
	Zt(O.ByteString, e);
}
function an(e, t, n) {
	Jt(O.Tag, e), Gt(t, n);
}
// node_modules/@icp-sdk/core/lib/esm/agent/errors.js
var on;
(function(e) {
	e.Trust = "Trust", e.Protocol = "Protocol", e.Reject = "Reject", e.Transport = "Transport", e.External = "External", e.Limit = "Limit", e.Input = "Input", e.Unknown = "Unknown";
})(on ||= {});
var sn;
(function(e) {
	e.Normal = "normal", e.Verbose = "verbose";
})(sn ||= {});
var cn = /* @__PURE__ */ new Set([
	"arg",
	"certificate",
	"nonce"
]);
function ln(e) {
	return (t, n) => n instanceof Uint8Array ? e === sn.Normal && cn.has(t) ? `<${n.length} bytes, set ErrorCode.verbosity = ErrorVerbosity.Verbose to display>` : `hex(${n.length}):${E(n)}` : n;
}
var A = class e {
	static {
		this.verbosity = sn.Normal;
	}
	constructor(e = !1) {
		this.isCertified = e;
	}
	toString() {
		let t = this.toErrorMessage();
		return this.requestContext && (t += `\nRequest context:\n  Request ID (hex): ${this.requestContext.requestId ? E(this.requestContext.requestId) : "undefined"}\n  Sender pubkey (hex): ${E(this.requestContext.senderPubKey)}\n  Sender signature (hex): ${E(this.requestContext.senderSignature)}\n  Ingress expiry: ${this.requestContext.ingressExpiry.toString()}`), this.callContext && (t += `\nCall context:\n  Canister ID: ${this.callContext.canisterId.toText()}\n  Method name: ${this.callContext.methodName}`, "subnetId" in this.callContext.effectiveTarget ? t += `\n  Effective target subnet: ${this.callContext.effectiveTarget.subnetId.toText()}` : this.callContext.effectiveTarget.canisterId.toText() !== this.callContext.canisterId.toText() && (t += `\n  Effective target canister: ${this.callContext.effectiveTarget.canisterId.toText()}`), "httpDetails" in this.callContext && (t += `\n  HTTP details: ${JSON.stringify(this.callContext.httpDetails, ln(e.verbosity), 2)}`)), t;
	}
}, un = class e extends Error {
	get code() {
		return this.cause.code;
	}
	set code(e) {
		this.cause.code = e;
	}
	get kind() {
		return this.cause.kind;
	}
	set kind(e) {
		this.cause.kind = e;
	}
	get isCertified() {
		return this.code.isCertified;
	}
	constructor(t, n) {
		super(t.toString()), this.name = "AgentError", this.cause = {
			code: t,
			kind: n
		}, Object.setPrototypeOf(this, e.prototype);
	}
	hasCode(e) {
		return this.code instanceof e;
	}
	toString() {
		return `${this.name} (${this.kind}): ${this.message}`;
	}
}, dn = class extends un {
	static fromCode(e) {
		return new this(e);
	}
}, fn = class e extends dn {
	constructor(t) {
		super(t, on.Trust), this.name = "TrustError", Object.setPrototypeOf(this, e.prototype);
	}
}, j = class e extends dn {
	constructor(t) {
		super(t, on.Protocol), this.name = "ProtocolError", Object.setPrototypeOf(this, e.prototype);
	}
}, pn = class e extends dn {
	constructor(t) {
		super(t, on.Reject), this.name = "RejectError", Object.setPrototypeOf(this, e.prototype);
	}
}, mn = class e extends dn {
	constructor(t) {
		super(t, on.Transport), this.name = "TransportError", Object.setPrototypeOf(this, e.prototype);
	}
}, hn = class e extends dn {
	constructor(t) {
		super(t, on.External), this.name = "ExternalError", Object.setPrototypeOf(this, e.prototype);
	}
}, M = class e extends dn {
	constructor(t) {
		super(t, on.Input), this.name = "InputError", Object.setPrototypeOf(this, e.prototype);
	}
}, gn = class e extends dn {
	constructor(t) {
		super(t, on.Unknown), this.name = "UnknownError", Object.setPrototypeOf(this, e.prototype);
	}
}, _n = class e extends A {
	constructor(t, n) {
		super(), this.reason = t, this.error = n, this.name = "CertificateVerificationErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		let e = this.reason;
		return this.error && (e += `: ${ir(this.error)}`), `Certificate verification error: "${e}"`;
	}
}, vn = class e extends A {
	constructor(t, n, r, i, a) {
		super(), this.maxAgeInMinutes = t, this.certificateTime = n, this.currentTime = r, this.timeDiffMsecs = i, this.ageType = a, this.name = "CertificateTimeErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `Certificate is signed more than ${this.maxAgeInMinutes} minutes in the ${this.ageType}. Certificate time: ${this.certificateTime.toISOString()} Current time: ${this.currentTime.toISOString()} Clock drift: ${this.timeDiffMsecs}ms`;
	}
}, yn = class e extends A {
	constructor() {
		super(), this.name = "CertificateHasTooManyDelegationsErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return "Certificate has too many delegations";
	}
}, bn = class e extends A {
	constructor(t, n) {
		super(), this.canisterId = t, this.subnetId = n, this.name = "CertificateNotAuthorizedErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `The certificate contains a delegation that does not include the canister ${this.canisterId.toText()} in the canister_ranges field. Subnet ID: ${this.subnetId.toText()}`;
	}
}, xn = class e extends A {
	constructor(t) {
		super(), this.subnetId = t, this.name = "CertificateNotAuthorizedForSubnetErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `The certificate is not authorized for subnet ${this.subnetId.toText()}`;
	}
}, Sn = class e extends A {
	constructor(t, n) {
		super(), this.message = t, this.lookupStatus = n, this.name = "LookupErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `${this.message}. Lookup status: ${this.lookupStatus}`;
	}
}, Cn = class e extends A {
	constructor(t) {
		super(), this.message = t, this.name = "MalformedLookupFoundValueErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return this.message;
	}
}, wn = class e extends A {
	constructor(t) {
		super(), this.message = t, this.name = "MissingLookupValueErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return this.message;
	}
}, Tn = class e extends A {
	constructor(t, n) {
		super(), this.expectedLength = t, this.actualLength = n, this.name = "DerKeyLengthMismatchErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `BLS DER-encoded public key must be ${this.expectedLength} bytes long, but is ${this.actualLength} bytes long`;
	}
}, En = class e extends A {
	constructor(t, n) {
		super(), this.expectedPrefix = t, this.actualPrefix = n, this.name = "DerPrefixMismatchErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `BLS DER-encoded public key is invalid. Expected the following prefix: ${E(this.expectedPrefix)}, but got ${E(this.actualPrefix)}`;
	}
}, Dn = class e extends A {
	constructor(t, n) {
		super(), this.expectedLength = t, this.actualLength = n, this.name = "DerDecodeLengthMismatchErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `DER payload mismatch: Expected length ${this.expectedLength}, actual length: ${this.actualLength}`;
	}
}, On = class e extends A {
	constructor(t) {
		super(), this.error = t, this.name = "DerDecodeErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `Failed to decode DER: ${this.error}`;
	}
}, kn = class e extends A {
	constructor(t) {
		super(), this.error = t, this.name = "DerEncodeErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `Failed to encode DER: ${this.error}`;
	}
}, An = class e extends A {
	constructor(t, n) {
		super(), this.error = t, this.input = n, this.name = "CborDecodeErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `Failed to decode CBOR: ${ir(this.error)}, input: ${E(this.input)}`;
	}
}, jn = class e extends A {
	constructor(t, n) {
		super(), this.error = t, this.value = n, this.name = "CborEncodeErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `Failed to encode CBOR: ${ir(this.error)}, input: ${this.value}`;
	}
}, Mn = class e extends A {
	constructor(t, n, r) {
		super(), this.message = t, this.requestId = n, this.status = r, this.name = "TimeoutWaitingForResponseErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		let e = `${this.message}\n`;
		return this.requestId && (e += `  Request ID: ${E(this.requestId)}\n`), this.status && (e += `  Request status: ${this.status}\n`), e;
	}
}, Nn = class e extends A {
	constructor(t, n, r) {
		super(), this.maxIngressExpiryInMinutes = t, this.requestId = n, this.retryTimes = r, this.name = "CertificateOutdatedErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		let e = `Certificate is stale (over ${this.maxIngressExpiryInMinutes} minutes). Is the computer's clock synchronized?\n  Request ID: ${E(this.requestId)}\n`;
		return this.retryTimes !== void 0 && (e += `  Retried ${this.retryTimes} times.`), e;
	}
}, Pn = class e extends A {
	constructor(t, n, r, i) {
		super(!0), this.requestId = t, this.rejectCode = n, this.rejectMessage = r, this.rejectErrorCode = i, this.name = "CertifiedRejectErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `The replica returned a rejection error:\n  Request ID: ${E(this.requestId)}\n  Reject code: ${this.rejectCode}\n  Reject text: ${this.rejectMessage}\n  Error code: ${this.rejectErrorCode}\n`;
	}
}, Fn = class e extends A {
	constructor(t, n, r, i, a) {
		super(), this.requestId = t, this.rejectCode = n, this.rejectMessage = r, this.rejectErrorCode = i, this.signatures = a, this.name = "UncertifiedRejectErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `The replica returned a rejection error:\n  Request ID: ${E(this.requestId)}\n  Reject code: ${this.rejectCode}\n  Reject text: ${this.rejectMessage}\n  Error code: ${this.rejectErrorCode}\n`;
	}
}, In = class e extends A {
	constructor(t, n, r, i) {
		super(), this.requestId = t, this.rejectCode = n, this.rejectMessage = r, this.rejectErrorCode = i, this.name = "UncertifiedRejectUpdateErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `The replica returned a rejection error:\n  Request ID: ${E(this.requestId)}\n  Reject code: ${this.rejectCode}\n  Reject text: ${this.rejectMessage}\n  Error code: ${this.rejectErrorCode}\n`;
	}
}, Ln = class e extends A {
	constructor(t) {
		super(), this.requestId = t, this.name = "RequestStatusDoneNoReplyErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `Call was marked as done but we never saw the reply:\n  Request ID: ${E(this.requestId)}\n`;
	}
}, Rn = class e extends A {
	constructor(t) {
		super(), this.shouldFetchRootKey = t, this.name = "MissingRootKeyErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return this.shouldFetchRootKey === void 0 ? "Agent is missing root key" : `Agent is missing root key and the shouldFetchRootKey value is set to ${this.shouldFetchRootKey}. The root key should only be unknown if you are in local development. Otherwise you should avoid fetching and use the default IC Root Key or the known root key of your environment.`;
	}
}, zn = class e extends A {
	constructor(t) {
		super(), this.value = t, this.name = "HashValueErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `Attempt to hash a value of unsupported type: ${this.value}`;
	}
}, Bn = class e extends A {
	constructor() {
		super(), this.name = "IdentityInvalidErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return "This identity has expired due this application's security policy. Please refresh your authentication.";
	}
}, Vn = class e extends A {
	constructor(t, n) {
		super(), this.message = t, this.providedIngressExpiryInMinutes = n, this.name = "IngressExpiryInvalidErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `${this.message}. Provided ingress expiry time is ${this.providedIngressExpiryInMinutes} minutes.`;
	}
}, Hn = class e extends A {
	constructor() {
		super(), this.name = "MissingFetchErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return "No fetch implementation available. Provide a `fetch` function in HttpAgentOptions or ensure `globalThis.fetch` is defined.";
	}
}, Un = class e extends A {
	constructor() {
		super(), this.name = "CreateHttpAgentErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return "Failed to create agent from provided agent";
	}
}, Wn = class e extends A {
	constructor(t, n) {
		super(), this.signatureCount = t, this.maxExpected = n, this.name = "ExcessiveSignaturesErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `Query response contains ${this.signatureCount} signatures, which exceeds the subnet size of ${this.maxExpected}. This suggests a malformed or malicious response.`;
	}
}, Gn = class e extends A {
	constructor(t) {
		super(), this.error = t, this.name = "MalformedSignatureErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `Query response contained a malformed signature: ${this.error}`;
	}
}, Kn = class e extends A {
	constructor() {
		super(), this.name = "MalformedPublicKeyErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return "Read state response contained a malformed public key";
	}
}, qn = class e extends A {
	constructor(t) {
		super(), this.nodeId = t, this.name = "QuerySignatureVerificationFailedErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `Query signature verification failed. Node ID: ${this.nodeId}`;
	}
}, Jn = class e extends A {
	constructor(t) {
		super(), this.error = t, this.name = "UnexpectedErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `Unexpected error: ${ir(this.error)}`;
	}
}, Yn = class e extends A {
	constructor(t, n, r, i) {
		super(), this.status = t, this.requestId = n, this.response = r, this.rawCertificate = i, this.name = "UnexpectedV4StatusErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `Unexpected request status in v4 sync response: "${this.status}"\n  Request ID (hex): ${E(this.requestId)}\n  Response: ${JSON.stringify(this.response, (e, t) => t instanceof Uint8Array ? `hex(${t.length}):${E(t)}` : t, 2)}`;
	}
}, Xn = class e extends A {
	constructor(t) {
		super(), this.error = t, this.name = "HashTreeDecodeErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `Failed to decode certificate: ${this.error}`;
	}
}, Zn = class e extends A {
	constructor(t, n, r, i) {
		super(), this.status = t, this.statusText = n, this.headers = r, this.bodyText = i, this.name = "HttpErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		let e = `HTTP request failed:
  Status: ${this.status} (${this.statusText})\n  Headers: ${JSON.stringify(this.headers, ln(A.verbosity))}\n`;
		return this.bodyText && (e += `  Body: ${this.bodyText}\n`), e;
	}
}, Qn = class e extends A {
	constructor() {
		super(), this.name = "HttpV4ApiNotSupportedErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return "HTTP request failed: v4 API is not supported";
	}
}, $n = class e extends A {
	constructor(t) {
		super(), this.error = t, this.name = "HttpFetchErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `Failed to fetch HTTP request: ${ir(this.error)}`;
	}
}, er = class e extends A {
	constructor(t) {
		super(), this.receivedCanisterId = t, this.name = "MissingCanisterIdErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `Canister ID is required, but received ${typeof this.receivedCanisterId} instead. If you are using automatically generated declarations, this may be because your application is not setting the canister ID in process.env correctly.`;
	}
}, tr = class e extends A {
	constructor(t) {
		super(), this.request = t, this.name = "InvalidReadStateRequestErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `Invalid read state request: ${this.request}`;
	}
}, nr = class e extends A {
	constructor(t) {
		super(), this.error = t, this.name = "ExpiryJsonDeserializeErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return `Failed to deserialize expiry: ${this.error}`;
	}
}, rr = class e extends A {
	constructor() {
		super(), this.name = "EffectiveSubnetIdAsyncErrorCode", Object.setPrototypeOf(this, e.prototype);
	}
	toErrorMessage() {
		return "Setting `effectiveTarget` to a `subnetId` is not allowed in `callSync = false` calls";
	}
};
function ir(e) {
	if (e instanceof Error) return e.stack ?? e.message;
	try {
		return JSON.stringify(e, ln(A.verbosity));
	} catch {
		return String(e);
	}
}
var ar = /* @__PURE__ */ Error("unreachable");
// node_modules/@icp-sdk/core/lib/esm/candid/utils/buffer.js
function N(...e) {
	let t = new Uint8Array(e.reduce((e, t) => e + t.byteLength, 0)), n = 0;
	for (let r of e) t.set(r, n), n += r.byteLength;
	return t;
}
var or = class {
	save() {
		return this._view;
	}
	restore(e) {
		if (!(e instanceof Uint8Array)) throw Error("Checkpoint must be a Uint8Array");
		this._view = e;
	}
	constructor(e, t = e?.byteLength || 0) {
		if (e && !(e instanceof Uint8Array)) try {
			e = sr(e);
		} catch {
			throw Error("Buffer must be a Uint8Array");
		}
		if (t < 0 || !Number.isInteger(t)) throw Error("Length must be a non-negative integer");
		if (e && t > e.byteLength) throw Error("Length cannot exceed buffer length");
		this._buffer = e || /* @__PURE__ */ new Uint8Array(), this._view = new Uint8Array(this._buffer.buffer, 0, t);
	}
	get buffer() {
		return this._view.slice();
	}
	get byteLength() {
		return this._view.byteLength;
	}
	read(e) {
		let t = this._view.subarray(0, e);
		return this._view = this._view.subarray(e), t.slice();
	}
	readUint8() {
		if (this._view.byteLength === 0) return;
		let e = this._view[0];
		return this._view = this._view.subarray(1), e;
	}
	write(e) {
		if (!(e instanceof Uint8Array)) throw Error("Buffer must be a Uint8Array");
		let t = this._view.byteLength;
		this._view.byteOffset + this._view.byteLength + e.byteLength >= this._buffer.byteLength ? this.alloc(e.byteLength) : this._view = new Uint8Array(this._buffer.buffer, this._view.byteOffset, this._view.byteLength + e.byteLength), this._view.set(e, t);
	}
	get end() {
		return this._view.byteLength === 0;
	}
	alloc(e) {
		if (e <= 0 || !Number.isInteger(e)) throw Error("Amount must be a positive integer");
		let t = new Uint8Array((this._buffer.byteLength + e) * 1.2 | 0), n = new Uint8Array(t.buffer, 0, this._view.byteLength + e);
		n.set(this._view), this._buffer = t, this._view = n;
	}
};
function sr(e) {
	if (!e) throw Error("Input cannot be null or undefined");
	return e instanceof Uint8Array ? e.buffer instanceof ArrayBuffer ? e : new Uint8Array(e) : e instanceof ArrayBuffer || Array.isArray(e) ? new Uint8Array(e) : "buffer" in e ? sr(e.buffer) : new Uint8Array(e).slice();
}
function cr(e, t) {
	if (e.byteLength !== t.byteLength) return e.byteLength - t.byteLength;
	for (let n = 0; n < e.length; n++) if (e[n] !== t[n]) return e[n] - t[n];
	return 0;
}
function lr(e, t) {
	return cr(e, t) === 0;
}
function ur(e) {
	if (!(e instanceof Uint8Array)) throw Error("Input must be a Uint8Array");
	return new DataView(e.buffer, e.byteOffset, e.byteLength);
}
// node_modules/@icp-sdk/core/lib/esm/candid/utils/hash.js
function dr(e) {
	let t = new TextEncoder().encode(e), n = 0;
	for (let e of t) n = (n * 223 + e) % 2 ** 32;
	return n;
}
function fr(e) {
	if (/^_\d+_$/.test(e) || /^_0x[0-9a-fA-F]+_$/.test(e)) {
		let t = +e.slice(1, -1);
		if (Number.isSafeInteger(t) && t >= 0 && t < 2 ** 32) return t;
	}
	return dr(e);
}
// node_modules/@icp-sdk/core/lib/esm/candid/utils/bigint-math.js
function pr(e) {
	let t = BigInt(e);
	if (e <= 0) throw RangeError("Input must be positive");
	return t.toString(2).length - 1;
}
function mr(e) {
	let t = BigInt(e);
	if (e < 0) throw RangeError("Input must be non-negative");
	return BigInt(1) << t;
}
// node_modules/@icp-sdk/core/lib/esm/candid/utils/leb128.js
function hr() {
	throw Error("unexpected end of buffer");
}
function gr(e, t) {
	return e.byteLength < t && hr(), e.read(t);
}
function _r(e) {
	let t = e.readUint8();
	return t === void 0 && hr(), t;
}
function P(e) {
	if (typeof e == "number" && (e = BigInt(e)), e < BigInt(0)) throw Error("Cannot leb encode negative values.");
	let t = (e === BigInt(0) ? 0 : pr(e)) + 1, n = new or(new Uint8Array(t), 0);
	for (;;) {
		let t = Number(e & BigInt(127));
		if (e /= BigInt(128), e === BigInt(0)) {
			n.write(new Uint8Array([t]));
			break;
		}
		n.write(new Uint8Array([t | 128]));
	}
	return n.buffer;
}
function vr(e) {
	let t = BigInt(1), n = BigInt(0), r;
	do
		r = _r(e), n += BigInt(r & 127).valueOf() * t, t *= BigInt(128);
	while (r >= 128);
	return n;
}
function F(e) {
	typeof e == "number" && (e = BigInt(e));
	let t = e < BigInt(0);
	t && (e = -e - BigInt(1));
	let n = (e === BigInt(0) ? 0 : pr(e)) + 1, r = new or(new Uint8Array(n), 0);
	for (;;) {
		let n = i(e);
		if (e /= BigInt(128), t && e === BigInt(0) && n & 64 || !t && e === BigInt(0) && !(n & 64)) {
			r.write(new Uint8Array([n]));
			break;
		}
		r.write(new Uint8Array([n | 128]));
	}
	function i(e) {
		let n = e % BigInt(128);
		return Number(t ? BigInt(128) - n - BigInt(1) : n);
	}
	return r.buffer;
}
function yr(e) {
	let t = new Uint8Array(e.buffer), n = 0;
	for (; n < t.byteLength; n++) if (t[n] < 128) {
		if (!(t[n] & 64)) return vr(e);
		break;
	}
	let r = new Uint8Array(gr(e, n + 1)), i = BigInt(0);
	for (let e = r.byteLength - 1; e >= 0; e--) i = i * BigInt(128) + BigInt(128 - (r[e] & 127) - 1);
	return -i - BigInt(1);
}
function br(e, t) {
	if (BigInt(e) < BigInt(0)) throw Error("Cannot write negative values.");
	return xr(e, t);
}
function xr(e, t) {
	e = BigInt(e);
	let n = new or(new Uint8Array(Math.min(1, t)), 0), r = 0, i = BigInt(256), a = BigInt(0), o = Number(e % i);
	for (n.write(new Uint8Array([o])); ++r < t;) e < 0 && a === BigInt(0) && o !== 0 && (a = BigInt(1)), o = Number((e / i - a) % BigInt(256)), n.write(new Uint8Array([o])), i *= BigInt(256);
	return n.buffer;
}
function Sr(e, t) {
	if (t <= 0 || !Number.isInteger(t)) throw Error("Byte length must be a positive integer");
	let n = BigInt(_r(e)), r = BigInt(1), i = 0;
	for (; ++i < t;) {
		r *= BigInt(256);
		let t = BigInt(_r(e));
		n += r * t;
	}
	return n;
}
function Cr(e, t) {
	if (t <= 0 || !Number.isInteger(t)) throw Error("Byte length must be a positive integer");
	let n = Sr(e, t), r = BigInt(2) ** (BigInt(8) * BigInt(t - 1) + BigInt(7));
	return n >= r && (n -= r * BigInt(2)), n;
}
// node_modules/@icp-sdk/core/lib/esm/candid/idl.js
var wr = /* @__PURE__ */ s({
	Bool: () => si,
	BoolClass: () => Lr,
	CandidDecodeError: () => Tr,
	ConstructType: () => Pr,
	Empty: () => ii,
	EmptyClass: () => Fr,
	FixedIntClass: () => Wr,
	FixedNatClass: () => Gr,
	Float32: () => fi,
	Float64: () => pi,
	FloatClass: () => Ur,
	Func: () => ki,
	FuncClass: () => ei,
	Int: () => ui,
	Int16: () => hi,
	Int32: () => gi,
	Int64: () => _i,
	Int8: () => mi,
	IntClass: () => Vr,
	Nat: () => di,
	Nat16: () => yi,
	Nat32: () => bi,
	Nat64: () => xi,
	Nat8: () => vi,
	NatClass: () => Hr,
	Null: () => ci,
	NullClass: () => Rr,
	Opt: () => Ti,
	OptClass: () => qr,
	PrimitiveType: () => Nr,
	Principal: () => Si,
	PrincipalClass: () => $r,
	Rec: () => Oi,
	RecClass: () => Zr,
	Record: () => Ei,
	RecordClass: () => Jr,
	Reserved: () => ai,
	ReservedClass: () => zr,
	Service: () => Ai,
	ServiceClass: () => ti,
	Text: () => li,
	TextClass: () => Br,
	Tuple: () => Ci,
	TupleClass: () => Yr,
	Type: () => Mr,
	Unknown: () => oi,
	UnknownClass: () => Ir,
	Variant: () => Di,
	VariantClass: () => Xr,
	Vec: () => wi,
	VecClass: () => Kr,
	Visitor: () => jr,
	decode: () => ri,
	encode: () => ni,
	resetSubtypeCache: () => Ni,
	subtype: () => Ii
}), Tr = class e extends Error {
	constructor(t) {
		super(t), this.name = "CandidDecodeError", Object.setPrototypeOf(this, e.prototype);
	}
}, I;
(function(e) {
	e[e.Null = -1] = "Null", e[e.Bool = -2] = "Bool", e[e.Nat = -3] = "Nat", e[e.Int = -4] = "Int", e[e.Float32 = -13] = "Float32", e[e.Float64 = -14] = "Float64", e[e.Text = -15] = "Text", e[e.Reserved = -16] = "Reserved", e[e.Empty = -17] = "Empty", e[e.Opt = -18] = "Opt", e[e.Vector = -19] = "Vector", e[e.Record = -20] = "Record", e[e.Variant = -21] = "Variant", e[e.Func = -22] = "Func", e[e.Service = -23] = "Service", e[e.Principal = -24] = "Principal";
})(I ||= {});
var Er = "DIDL", Dr = new TextEncoder().encode(Er), Or = 400;
function kr(e, t, n) {
	return e.map((e, r) => n(e, t[r]));
}
var Ar = class {
	constructor() {
		this._typs = [], this._idx = /* @__PURE__ */ new Map(), this._idxRefCount = /* @__PURE__ */ new Map();
	}
	has(e) {
		return this._idx.has(e.name);
	}
	add(e, t) {
		let n = this._typs.length;
		this._idx.set(e.name, n), this._idxRefCount.set(n, 1), this._typs.push(t);
	}
	merge(e, t) {
		let n = this._idx.get(e.name), r = this._idx.get(t);
		if (n === void 0) throw Error(`Missing type index for ${e}`);
		if (r === void 0) throw Error(`Missing type index for ${t}`);
		this._typs[n] = this._typs[r];
		let i = this._getIdxRefCount(n), a = this._getIdxRefCount(r);
		this._idxRefCount.set(n, i + a), this._idx.set(t, n), this._idxRefCount.set(r, 0), this._compactFromEnd();
	}
	_getIdxRefCount(e) {
		return this._idxRefCount.get(e) || 0;
	}
	_compactFromEnd() {
		for (; this._typs.length > 0;) {
			let e = this._typs.length - 1;
			if (this._getIdxRefCount(e) > 0) break;
			this._typs.pop(), this._idxRefCount.delete(e);
		}
	}
	encode() {
		return N(P(this._typs.length), N(...this._typs));
	}
	indexOf(e) {
		if (!this._idx.has(e)) throw Error(`Missing type index for ${e}`);
		return F(this._idx.get(e) || 0);
	}
}, jr = class {
	visitType(e, t) {
		throw Error("Not implemented");
	}
	visitPrimitive(e, t) {
		return this.visitType(e, t);
	}
	visitEmpty(e, t) {
		return this.visitPrimitive(e, t);
	}
	visitBool(e, t) {
		return this.visitPrimitive(e, t);
	}
	visitNull(e, t) {
		return this.visitPrimitive(e, t);
	}
	visitReserved(e, t) {
		return this.visitPrimitive(e, t);
	}
	visitText(e, t) {
		return this.visitPrimitive(e, t);
	}
	visitNumber(e, t) {
		return this.visitPrimitive(e, t);
	}
	visitInt(e, t) {
		return this.visitNumber(e, t);
	}
	visitNat(e, t) {
		return this.visitNumber(e, t);
	}
	visitFloat(e, t) {
		return this.visitPrimitive(e, t);
	}
	visitFixedInt(e, t) {
		return this.visitNumber(e, t);
	}
	visitFixedNat(e, t) {
		return this.visitNumber(e, t);
	}
	visitPrincipal(e, t) {
		return this.visitPrimitive(e, t);
	}
	visitConstruct(e, t) {
		return this.visitType(e, t);
	}
	visitVec(e, t, n) {
		return this.visitConstruct(e, n);
	}
	visitOpt(e, t, n) {
		return this.visitConstruct(e, n);
	}
	visitRecord(e, t, n) {
		return this.visitConstruct(e, n);
	}
	visitTuple(e, t, n) {
		let r = t.map((e, t) => [`_${t}_`, e]);
		return this.visitRecord(e, r, n);
	}
	visitVariant(e, t, n) {
		return this.visitConstruct(e, n);
	}
	visitRec(e, t, n) {
		return this.visitConstruct(t, n);
	}
	visitFunc(e, t) {
		return this.visitConstruct(e, t);
	}
	visitService(e, t) {
		return this.visitConstruct(e, t);
	}
}, L;
(function(e) {
	e.EmptyClass = "__IDL_EmptyClass__", e.UnknownClass = "__IDL_UnknownClass__", e.BoolClass = "__IDL_BoolClass__", e.NullClass = "__IDL_NullClass__", e.ReservedClass = "__IDL_ReservedClass__", e.TextClass = "__IDL_TextClass__", e.IntClass = "__IDL_IntClass__", e.NatClass = "__IDL_NatClass__", e.FloatClass = "__IDL_FloatClass__", e.FixedIntClass = "__IDL_FixedIntClass__", e.FixedNatClass = "__IDL_FixedNatClass__", e.VecClass = "__IDL_VecClass__", e.OptClass = "__IDL_OptClass__", e.RecordClass = "__IDL_RecordClass__", e.TupleClass = "__IDL_TupleClass__", e.VariantClass = "__IDL_VariantClass__", e.RecClass = "__IDL_RecClass__", e.PrincipalClass = "__IDL_PrincipalClass__", e.FuncClass = "__IDL_FuncClass__", e.ServiceClass = "__IDL_ServiceClass__";
})(L ||= {});
var Mr = class {
	display() {
		return this.name;
	}
	valueToString(e) {
		return R(e);
	}
	buildTypeTable(e) {
		e.has(this) || this._buildTypeTableImpl(e);
	}
}, Nr = class extends Mr {
	checkType(e) {
		if (this.name !== e.name) throw Error(`type mismatch: type on the wire ${e.name}, expect type ${this.name}`);
		return e;
	}
	_buildTypeTableImpl(e) {}
}, Pr = class extends Mr {
	checkType(e) {
		if (e instanceof Zr) {
			let t = e.getType();
			if (t === void 0) throw new Tr("Type mismatch: cannot decode from uninitialized recursive type");
			return t;
		}
		throw Error(`type mismatch: type on the wire ${e.name}, expect type ${this.name}`);
	}
	encodeType(e) {
		return e.indexOf(this.name);
	}
}, Fr = class extends Nr {
	get typeName() {
		return L.EmptyClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.EmptyClass;
	}
	accept(e, t) {
		return e.visitEmpty(this, t);
	}
	covariant(e) {
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue() {
		throw Error("Empty cannot appear as a function argument");
	}
	valueToString() {
		throw Error("Empty cannot appear as a value");
	}
	encodeType() {
		return F(I.Empty);
	}
	decodeValue() {
		throw Error("Empty cannot appear as an output");
	}
	get name() {
		return "empty";
	}
}, Ir = class extends Mr {
	get typeName() {
		return L.UnknownClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.UnknownClass;
	}
	checkType(e) {
		throw Error("Method not implemented for unknown.");
	}
	accept(e, t) {
		throw e.visitType(this, t);
	}
	covariant(e) {
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue() {
		throw Error("Unknown cannot appear as a function argument");
	}
	valueToString() {
		throw Error("Unknown cannot appear as a value");
	}
	encodeType() {
		throw Error("Unknown cannot be serialized");
	}
	decodeValue(e, t) {
		let n = t.decodeValue(e, t);
		Object(n) !== n && (n = Object(n));
		let r;
		return r = t instanceof Zr ? () => t.getType() : () => t, Object.defineProperty(n, "type", {
			value: r,
			writable: !0,
			enumerable: !1,
			configurable: !0
		}), n;
	}
	_buildTypeTableImpl() {
		throw Error("Unknown cannot be serialized");
	}
	get name() {
		return "Unknown";
	}
}, Lr = class extends Nr {
	get typeName() {
		return L.BoolClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.BoolClass;
	}
	accept(e, t) {
		return e.visitBool(this, t);
	}
	covariant(e) {
		if (typeof e == "boolean") return !0;
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue(e) {
		return new Uint8Array([+!!e]);
	}
	encodeType() {
		return F(I.Bool);
	}
	decodeValue(e, t) {
		switch (this.checkType(t), _r(e)) {
			case 0: return !1;
			case 1: return !0;
			default: throw Error("Boolean value out of range");
		}
	}
	get name() {
		return "bool";
	}
}, Rr = class extends Nr {
	get typeName() {
		return L.NullClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.NullClass;
	}
	accept(e, t) {
		return e.visitNull(this, t);
	}
	covariant(e) {
		if (e === null) return !0;
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue() {
		return /* @__PURE__ */ new Uint8Array();
	}
	encodeType() {
		return F(I.Null);
	}
	decodeValue(e, t) {
		return this.checkType(t), null;
	}
	get name() {
		return "null";
	}
}, zr = class extends Nr {
	get typeName() {
		return L.ReservedClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.ReservedClass;
	}
	accept(e, t) {
		return e.visitReserved(this, t);
	}
	covariant(e) {
		return !0;
	}
	encodeValue() {
		return /* @__PURE__ */ new Uint8Array();
	}
	encodeType() {
		return F(I.Reserved);
	}
	decodeValue(e, t) {
		return t.name !== this.name && t.decodeValue(e, t), null;
	}
	get name() {
		return "reserved";
	}
}, Br = class extends Nr {
	get typeName() {
		return L.TextClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.TextClass;
	}
	accept(e, t) {
		return e.visitText(this, t);
	}
	covariant(e) {
		if (typeof e == "string") return !0;
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue(e) {
		let t = new TextEncoder().encode(e);
		return N(P(t.byteLength), t);
	}
	encodeType() {
		return F(I.Text);
	}
	decodeValue(e, t) {
		this.checkType(t);
		let n = vr(e), r = gr(e, Number(n));
		return new TextDecoder("utf8", { fatal: !0 }).decode(r);
	}
	get name() {
		return "text";
	}
	valueToString(e) {
		return `"${e}"`;
	}
}, Vr = class extends Nr {
	get typeName() {
		return L.IntClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.IntClass;
	}
	accept(e, t) {
		return e.visitInt(this, t);
	}
	covariant(e) {
		if (typeof e == "bigint" || Number.isInteger(e)) return !0;
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue(e) {
		return F(e);
	}
	encodeType() {
		return F(I.Int);
	}
	decodeValue(e, t) {
		return this.checkType(t), yr(e);
	}
	get name() {
		return "int";
	}
	valueToString(e) {
		return e.toString();
	}
}, Hr = class extends Nr {
	get typeName() {
		return L.NatClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.NatClass;
	}
	accept(e, t) {
		return e.visitNat(this, t);
	}
	covariant(e) {
		if (typeof e == "bigint" && e >= BigInt(0) || Number.isInteger(e) && e >= 0) return !0;
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue(e) {
		return P(e);
	}
	encodeType() {
		return F(I.Nat);
	}
	decodeValue(e, t) {
		return this.checkType(t), vr(e);
	}
	get name() {
		return "nat";
	}
	valueToString(e) {
		return e.toString();
	}
}, Ur = class extends Nr {
	get typeName() {
		return L.FloatClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.FloatClass;
	}
	constructor(e) {
		if (super(), this._bits = e, e !== 32 && e !== 64) throw Error("not a valid float type");
	}
	accept(e, t) {
		return e.visitFloat(this, t);
	}
	covariant(e) {
		if (typeof e == "number" || e instanceof Number) return !0;
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue(e) {
		let t = /* @__PURE__ */ new ArrayBuffer(this._bits / 8), n = new DataView(t);
		return this._bits === 32 ? n.setFloat32(0, e, !0) : n.setFloat64(0, e, !0), new Uint8Array(t);
	}
	encodeType() {
		return F(this._bits === 32 ? I.Float32 : I.Float64);
	}
	decodeValue(e, t) {
		this.checkType(t);
		let n = ur(gr(e, this._bits / 8));
		return this._bits === 32 ? n.getFloat32(0, !0) : n.getFloat64(0, !0);
	}
	get name() {
		return `float${this._bits}`;
	}
	valueToString(e) {
		return e.toString();
	}
}, Wr = class extends Nr {
	get typeName() {
		return L.FixedIntClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.FixedIntClass;
	}
	constructor(e) {
		super(), this._bits = e;
	}
	accept(e, t) {
		return e.visitFixedInt(this, t);
	}
	covariant(e) {
		let t = mr(this._bits - 1) * BigInt(-1), n = mr(this._bits - 1) - BigInt(1);
		if (typeof e == "bigint") {
			if (e >= t && e <= n) return !0;
		} else if (Number.isInteger(e)) {
			let r = BigInt(e);
			if (r >= t && r <= n) return !0;
		}
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue(e) {
		return xr(e, this._bits / 8);
	}
	encodeType() {
		return F(-9 - (Math.log2(this._bits) - 3));
	}
	decodeValue(e, t) {
		this.checkType(t);
		let n = Cr(e, this._bits / 8);
		return this._bits <= 32 ? Number(n) : n;
	}
	get name() {
		return `int${this._bits}`;
	}
	valueToString(e) {
		return e.toString();
	}
}, Gr = class extends Nr {
	get typeName() {
		return L.FixedNatClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.FixedNatClass;
	}
	constructor(e) {
		super(), this._bits = e;
	}
	accept(e, t) {
		return e.visitFixedNat(this, t);
	}
	covariant(e) {
		let t = mr(this._bits);
		if (typeof e == "bigint" && e >= BigInt(0)) {
			if (e < t) return !0;
		} else if (Number.isInteger(e) && e >= 0 && BigInt(e) < t) return !0;
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue(e) {
		return br(e, this._bits / 8);
	}
	encodeType() {
		return F(-5 - (Math.log2(this._bits) - 3));
	}
	decodeValue(e, t) {
		this.checkType(t);
		let n = Sr(e, this._bits / 8);
		return this._bits <= 32 ? Number(n) : n;
	}
	get name() {
		return `nat${this._bits}`;
	}
	valueToString(e) {
		return e.toString();
	}
}, Kr = class e extends Pr {
	get typeName() {
		return L.VecClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.VecClass;
	}
	constructor(e) {
		super(), this._type = e, this._blobOptimization = !1, e instanceof Gr && e._bits === 8 && (this._blobOptimization = !0);
	}
	accept(e, t) {
		return e.visitVec(this, this._type, t);
	}
	covariant(e) {
		let t = this._type instanceof Gr || this._type instanceof Wr ? this._type._bits : 0;
		if (ArrayBuffer.isView(e) && t == e.BYTES_PER_ELEMENT * 8 || Array.isArray(e) && e.every((e, t) => {
			try {
				return this._type.covariant(e);
			} catch (e) {
				throw Error(`Invalid ${this.display()} argument: \n\nindex ${t} -> ${e.message}`, { cause: e });
			}
		})) return !0;
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue(e) {
		let t = P(e.length);
		if (this._blobOptimization) return N(t, new Uint8Array(e));
		if (ArrayBuffer.isView(e)) {
			if (e instanceof Int16Array || e instanceof Uint16Array) {
				let n = /* @__PURE__ */ new DataView(/* @__PURE__ */ new ArrayBuffer(e.length * 2));
				for (let t = 0; t < e.length; t++) e instanceof Int16Array ? n.setInt16(t * 2, e[t], !0) : n.setUint16(t * 2, e[t], !0);
				return N(t, new Uint8Array(n.buffer));
			}
			if (e instanceof Int32Array || e instanceof Uint32Array) {
				let n = /* @__PURE__ */ new DataView(/* @__PURE__ */ new ArrayBuffer(e.length * 4));
				for (let t = 0; t < e.length; t++) e instanceof Int32Array ? n.setInt32(t * 4, e[t], !0) : n.setUint32(t * 4, e[t], !0);
				return N(t, new Uint8Array(n.buffer));
			}
			if (e instanceof BigInt64Array || e instanceof BigUint64Array) {
				let n = /* @__PURE__ */ new DataView(/* @__PURE__ */ new ArrayBuffer(e.length * 8));
				for (let t = 0; t < e.length; t++) e instanceof BigInt64Array ? n.setBigInt64(t * 8, e[t], !0) : n.setBigUint64(t * 8, e[t], !0);
				return N(t, new Uint8Array(n.buffer));
			}
			return N(t, new Uint8Array(e.buffer, e.byteOffset, e.byteLength));
		}
		let n = new or(new Uint8Array(t.byteLength + e.length), 0);
		n.write(t);
		for (let t of e) {
			let e = this._type.encodeValue(t);
			n.write(new Uint8Array(e));
		}
		return n.buffer;
	}
	_buildTypeTableImpl(e) {
		this._type.buildTypeTable(e);
		let t = F(I.Vector), n = this._type.encodeType(e);
		e.add(this, N(t, n));
	}
	decodeValue(t, n) {
		let r = this.checkType(n);
		if (!(r instanceof e)) throw new Tr(`Expected type '${this.display()}', but received non-vector type '${r.display()}'`);
		let i = Number(vr(t));
		if (this._type instanceof Gr) {
			if (this._type._bits == 8) return new Uint8Array(t.read(i));
			if (this._type._bits == 16) {
				let e = t.read(i * 2);
				return new Uint16Array(e.buffer, e.byteOffset, i);
			}
			if (this._type._bits == 32) {
				let e = t.read(i * 4);
				return new Uint32Array(e.buffer, e.byteOffset, i);
			}
			if (this._type._bits == 64) return new BigUint64Array(t.read(i * 8).buffer);
		}
		if (this._type instanceof Wr) {
			if (this._type._bits == 8) return new Int8Array(t.read(i));
			if (this._type._bits == 16) {
				let e = t.read(i * 2), n = new DataView(e.buffer, e.byteOffset, e.byteLength), r = new Int16Array(i);
				for (let e = 0; e < i; e++) r[e] = n.getInt16(e * 2, !0);
				return r;
			}
			if (this._type._bits == 32) {
				let e = t.read(i * 4), n = new DataView(e.buffer, e.byteOffset, e.byteLength), r = new Int32Array(i);
				for (let e = 0; e < i; e++) r[e] = n.getInt32(e * 4, !0);
				return r;
			}
			if (this._type._bits == 64) {
				let e = t.read(i * 8), n = new DataView(e.buffer, e.byteOffset, e.byteLength), r = new BigInt64Array(i);
				for (let e = 0; e < i; e++) r[e] = n.getBigInt64(e * 8, !0);
				return r;
			}
		}
		let a = [];
		for (let e = 0; e < i; e++) a.push(this._type.decodeValue(t, r._type));
		return a;
	}
	get name() {
		return `vec ${this._type.name}`;
	}
	display() {
		return `vec ${this._type.display()}`;
	}
	valueToString(e) {
		return `vec {${e.map((e) => this._type.valueToString(e)).join("; ")}}`;
	}
}, qr = class e extends Pr {
	get typeName() {
		return L.OptClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.OptClass;
	}
	constructor(e) {
		super(), this._type = e;
	}
	accept(e, t) {
		return e.visitOpt(this, this._type, t);
	}
	covariant(e) {
		try {
			if (Array.isArray(e) && (e.length === 0 || e.length === 1 && this._type.covariant(e[0]))) return !0;
		} catch (t) {
			throw Error(`Invalid ${this.display()} argument: ${R(e)} \n\n-> ${t.message}`, { cause: t });
		}
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue(e) {
		return e.length === 0 ? new Uint8Array([0]) : N(new Uint8Array([1]), this._type.encodeValue(e[0]));
	}
	_buildTypeTableImpl(e) {
		this._type.buildTypeTable(e);
		let t = F(I.Opt), n = this._type.encodeType(e);
		e.add(this, N(t, n));
	}
	decodeValue(t, n) {
		if (n instanceof Rr || n instanceof zr) return [];
		let r = n;
		if (n instanceof Zr) {
			let e = n.getType();
			if (e === void 0) throw new Tr("Type mismatch: cannot decode from uninitialized recursive type");
			r = e;
		}
		if (r instanceof e) switch (_r(t)) {
			case 0: return [];
			case 1: {
				let e = t.save();
				try {
					return [this._type.decodeValue(t, r._type)];
				} catch {
					return t.restore(e), r._type.decodeValue(t, r._type), [];
				}
			}
			default: throw new Tr(`Invalid option value: expected 0 (None) or 1 (Some) for type '${this.display()}'`);
		}
		else if (this._type instanceof Rr || this._type instanceof e || this._type instanceof zr) return r.decodeValue(t, r), [];
		else {
			let e = t.save();
			try {
				return [this._type.decodeValue(t, n)];
			} catch {
				return t.restore(e), r.decodeValue(t, n), [];
			}
		}
	}
	get name() {
		return `opt ${this._type.name}`;
	}
	display() {
		return `opt ${this._type.display()}`;
	}
	valueToString(e) {
		return e.length === 0 ? "null" : `opt ${this._type.valueToString(e[0])}`;
	}
}, Jr = class e extends Pr {
	get typeName() {
		return L.RecordClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.RecordClass || e.typeName === L.TupleClass;
	}
	constructor(e = {}) {
		super(), this._fields = Object.entries(e).sort((e, t) => fr(e[0]) - fr(t[0]));
	}
	accept(e, t) {
		return e.visitRecord(this, this._fields, t);
	}
	tryAsTuple() {
		let e = [];
		for (let t = 0; t < this._fields.length; t++) {
			let [n, r] = this._fields[t];
			if (n !== `_${t}_`) return null;
			e.push(r);
		}
		return e;
	}
	covariant(e) {
		if (typeof e == "object" && this._fields.every(([t, n]) => {
			if (!e.hasOwnProperty(t)) throw Error(`Record is missing key "${t}".`);
			try {
				return n.covariant(e[t]);
			} catch (e) {
				throw Error(`Invalid ${this.display()} argument: \n\nfield ${t} -> ${e.message}`, { cause: e });
			}
		})) return !0;
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue(e) {
		let t = this._fields.map(([t]) => e[t]);
		return N(...kr(this._fields, t, ([, e], t) => e.encodeValue(t)));
	}
	_buildTypeTableImpl(e) {
		this._fields.forEach(([t, n]) => n.buildTypeTable(e));
		let t = F(I.Record), n = P(this._fields.length), r = this._fields.map(([t, n]) => N(P(fr(t)), n.encodeType(e)));
		e.add(this, N(t, n, N(...r)));
	}
	decodeValue(t, n) {
		let r = this.checkType(n);
		if (!(r instanceof e)) throw new Tr(`Expected type '${this.display()}', but received non-record type '${r.display()}'`);
		let i = {}, a = 0, o = 0;
		for (; o < r._fields.length;) {
			let [e, n] = r._fields[o];
			if (a >= this._fields.length) {
				n.decodeValue(t, n), o++;
				continue;
			}
			let [s, c] = this._fields[a], l = fr(this._fields[a][0]), u = fr(e);
			if (l === u) i[s] = c.decodeValue(t, n), a++, o++;
			else if (u > l) {
				if (c instanceof qr || c instanceof zr) i[s] = [], a++;
				else throw new Tr(`Cannot find required field '${s}' in record, expected fields: [${this._fields.map(([e]) => e).join(", ")}], received fields: [${r._fields.map(([e]) => e).join(", ")}]`);
			} else n.decodeValue(t, n), o++;
		}
		for (let [e, t] of this._fields.slice(a)) if (t instanceof qr || t instanceof zr) i[e] = [];
		else throw new Tr(`Cannot find required field '${e}' in record, expected fields: [${this._fields.map(([e]) => e).join(", ")}], received fields: [${r._fields.map(([e]) => e).join(", ")}]`);
		return i;
	}
	get fieldsAsObject() {
		let e = {};
		for (let [t, n] of this._fields) e[fr(t)] = n;
		return e;
	}
	get name() {
		return `record {${this._fields.map(([e, t]) => `${e}:${t.name}`).join("; ")}}`;
	}
	display() {
		return `record {${this._fields.map(([e, t]) => `${e}:${t.display()}`).join("; ")}}`;
	}
	valueToString(e) {
		let t = this._fields.map(([t]) => e[t]);
		return `record {${kr(this._fields, t, ([e, t], n) => `${e}=${t.valueToString(n)}`).join("; ")}}`;
	}
}, Yr = class e extends Jr {
	get typeName() {
		return L.TupleClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.TupleClass;
	}
	constructor(e) {
		let t = {};
		e.forEach((e, n) => t[`_${n}_`] = e), super(t), this._components = e;
	}
	accept(e, t) {
		return e.visitTuple(this, this._components, t);
	}
	covariant(e) {
		if (Array.isArray(e) && e.length >= this._fields.length && this._components.every((t, n) => {
			try {
				return t.covariant(e[n]);
			} catch (e) {
				throw Error(`Invalid ${this.display()} argument: \n\nindex ${n} -> ${e.message}`, { cause: e });
			}
		})) return !0;
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue(e) {
		return N(...kr(this._components, e, (e, t) => e.encodeValue(t)));
	}
	decodeValue(t, n) {
		let r = this.checkType(n);
		if (!(r instanceof e)) throw new Tr(`Expected type '${this.display()}', but received non-tuple type '${r.display()}'`);
		if (r._components.length < this._components.length) throw new Tr(`Tuple mismatch: expected ${this._components.length} components, but received ${r._components.length}`);
		let i = [];
		for (let [e, n] of r._components.entries()) e >= this._components.length ? n.decodeValue(t, n) : i.push(this._components[e].decodeValue(t, n));
		return i;
	}
	display() {
		return `record {${this._components.map((e) => e.display()).join("; ")}}`;
	}
	valueToString(e) {
		return `record {${kr(this._components, e, (e, t) => e.valueToString(t)).join("; ")}}`;
	}
}, Xr = class e extends Pr {
	get typeName() {
		return L.VariantClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.VariantClass;
	}
	constructor(e = {}) {
		super(), this._fields = Object.entries(e).sort((e, t) => fr(e[0]) - fr(t[0]));
	}
	accept(e, t) {
		return e.visitVariant(this, this._fields, t);
	}
	covariant(e) {
		if (typeof e == "object" && Object.entries(e).length === 1 && this._fields.every(([t, n]) => {
			try {
				return !e.hasOwnProperty(t) || n.covariant(e[t]);
			} catch (e) {
				throw Error(`Invalid ${this.display()} argument: \n\nvariant ${t} -> ${e.message}`, { cause: e });
			}
		})) return !0;
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue(e) {
		for (let t = 0; t < this._fields.length; t++) {
			let [n, r] = this._fields[t];
			if (e.hasOwnProperty(n)) return N(P(t), r.encodeValue(e[n]));
		}
		throw Error(`Variant has no data: ${e}`);
	}
	_buildTypeTableImpl(e) {
		this._fields.forEach(([, t]) => {
			t.buildTypeTable(e);
		});
		let t = F(I.Variant), n = P(this._fields.length), r = this._fields.map(([t, n]) => N(P(fr(t)), n.encodeType(e)));
		e.add(this, N(t, n, ...r));
	}
	decodeValue(t, n) {
		let r = this.checkType(n);
		if (!(r instanceof e)) throw new Tr(`Expected type '${this.display()}', but received non-variant type '${r.display()}'`);
		let i = Number(vr(t));
		if (i >= r._fields.length) throw Error(`Invalid variant index: ${i}`);
		let [a, o] = r._fields[i];
		for (let [e, n] of this._fields) if (fr(a) === fr(e)) {
			let r = n.decodeValue(t, o);
			return { [e]: r };
		}
		throw new Tr(`Cannot find field hash ${a} in variant, expected fields: [${this._fields.map(([e]) => e).join(", ")}]`);
	}
	get name() {
		return `variant {${this._fields.map(([e, t]) => `${e}:${t.name}`).join("; ")}}`;
	}
	display() {
		return `variant {${this._fields.map(([e, t]) => e + (t.name === "null" ? "" : `:${t.display()}`)).join("; ")}}`;
	}
	valueToString(e) {
		for (let [t, n] of this._fields) if (e.hasOwnProperty(t)) {
			let r = n.valueToString(e[t]);
			return r === "null" ? `variant {${t}}` : `variant {${t}=${r}}`;
		}
		throw Error(`Variant has no data: ${e}`);
	}
	get alternativesAsObject() {
		let e = {};
		for (let [t, n] of this._fields) e[fr(t)] = n;
		return e;
	}
}, Zr = class e extends Pr {
	constructor() {
		super(...arguments), this._id = e._counter++;
	}
	get typeName() {
		return L.RecClass;
	}
	static {
		this._counter = 0;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.RecClass;
	}
	accept(e, t) {
		if (!this._type) throw Error("Recursive type uninitialized.");
		return e.visitRec(this, this._type, t);
	}
	fill(e) {
		this._type = e;
	}
	getType() {
		return this._type;
	}
	covariant(e) {
		if (this._type && this._type.covariant(e)) return !0;
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue(e) {
		if (!this._type) throw Error("Recursive type uninitialized.");
		return this._type.encodeValue(e);
	}
	_buildTypeTableImpl(e) {
		if (!this._type) throw Error("Recursive type uninitialized.");
		e.add(this, new Uint8Array([])), this._type.buildTypeTable(e), e.merge(this, this._type.name);
	}
	decodeValue(e, t) {
		if (!this._type) throw Error("Recursive type uninitialized.");
		return this._type.decodeValue(e, t);
	}
	get name() {
		return `rec_${this._id}`;
	}
	display() {
		if (!this._type) throw Error("Recursive type uninitialized.");
		return `μ${this.name}.${this._type.name}`;
	}
	valueToString(e) {
		if (!this._type) throw Error("Recursive type uninitialized.");
		return this._type.valueToString(e);
	}
};
function Qr(e) {
	if (_r(e) !== 1) throw Error("Cannot decode principal");
	let t = Number(vr(e));
	return D.fromUint8Array(new Uint8Array(gr(e, t)));
}
var $r = class extends Nr {
	get typeName() {
		return L.PrincipalClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.PrincipalClass;
	}
	accept(e, t) {
		return e.visitPrincipal(this, t);
	}
	covariant(e) {
		if (e && e._isPrincipal) return !0;
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue(e) {
		let t = e.toUint8Array(), n = P(t.byteLength);
		return N(new Uint8Array([1]), n, t);
	}
	encodeType() {
		return F(I.Principal);
	}
	decodeValue(e, t) {
		return this.checkType(t), Qr(e);
	}
	get name() {
		return "principal";
	}
	valueToString(e) {
		return `${this.name} "${e.toText()}"`;
	}
}, ei = class extends Pr {
	get typeName() {
		return L.FuncClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.FuncClass;
	}
	static argsToString(e, t) {
		if (e.length !== t.length) throw Error("arity mismatch");
		return `(${e.map((e, n) => e.valueToString(t[n])).join(", ")})`;
	}
	constructor(e, t, n = []) {
		super(), this.argTypes = e, this.retTypes = t, this.annotations = n;
	}
	accept(e, t) {
		return e.visitFunc(this, t);
	}
	covariant(e) {
		if (Array.isArray(e) && e.length === 2 && e[0] && e[0]._isPrincipal && typeof e[1] == "string") return !0;
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue([e, t]) {
		let n = e.toUint8Array(), r = P(n.byteLength), i = N(new Uint8Array([1]), r, n), a = new TextEncoder().encode(t), o = P(a.byteLength);
		return N(new Uint8Array([1]), i, o, a);
	}
	_buildTypeTableImpl(e) {
		this.argTypes.forEach((t) => t.buildTypeTable(e)), this.retTypes.forEach((t) => t.buildTypeTable(e));
		let t = F(I.Func), n = P(this.argTypes.length), r = N(...this.argTypes.map((t) => t.encodeType(e))), i = P(this.retTypes.length), a = N(...this.retTypes.map((t) => t.encodeType(e))), o = P(this.annotations.length), s = N(...this.annotations.map((e) => this.encodeAnnotation(e)));
		e.add(this, N(t, n, r, i, a, o, s));
	}
	decodeValue(e, t) {
		let n = t instanceof Zr ? t.getType() ?? t : t;
		if (!Ii(n, this)) throw Error(`Cannot decode function reference at type ${this.display()} from wire type ${n.display()}`);
		if (_r(e) !== 1) throw Error("Cannot decode function reference");
		let r = Qr(e), i = gr(e, Number(vr(e)));
		return [r, new TextDecoder("utf8", { fatal: !0 }).decode(i)];
	}
	get name() {
		return `(${this.argTypes.map((e) => e.name).join(", ")}) -> (${this.retTypes.map((e) => e.name).join(", ")})${` ${this.annotations.join(" ")}`}`;
	}
	valueToString([e, t]) {
		return `func "${e.toText()}".${t}`;
	}
	display() {
		return `(${this.argTypes.map((e) => e.display()).join(", ")}) → (${this.retTypes.map((e) => e.display()).join(", ")})${` ${this.annotations.join(" ")}`}`;
	}
	encodeAnnotation(e) {
		if (e === "query") return new Uint8Array([1]);
		if (e === "oneway") return new Uint8Array([2]);
		if (e === "composite_query") return new Uint8Array([3]);
		throw Error("Illegal function annotation");
	}
}, ti = class extends Pr {
	get typeName() {
		return L.ServiceClass;
	}
	static [Symbol.hasInstance](e) {
		return e.typeName === L.ServiceClass;
	}
	constructor(e) {
		super(), this._fields = Object.entries(e).sort((e, t) => e[0] < t[0] ? -1 : +(e[0] > t[0]));
	}
	accept(e, t) {
		return e.visitService(this, t);
	}
	covariant(e) {
		if (e && e._isPrincipal) return !0;
		throw Error(`Invalid ${this.display()} argument: ${R(e)}`);
	}
	encodeValue(e) {
		let t = e.toUint8Array(), n = P(t.length);
		return N(new Uint8Array([1]), n, t);
	}
	_buildTypeTableImpl(e) {
		this._fields.forEach(([t, n]) => n.buildTypeTable(e));
		let t = F(I.Service), n = P(this._fields.length), r = this._fields.map(([t, n]) => {
			let r = new TextEncoder().encode(t);
			return N(P(r.length), r, n.encodeType(e));
		});
		e.add(this, N(t, n, ...r));
	}
	decodeValue(e, t) {
		let n = t instanceof Zr ? t.getType() ?? t : t;
		if (!Ii(n, this)) throw Error(`Cannot decode service reference at type ${this.display()} from wire type ${n.display()}`);
		return Qr(e);
	}
	get name() {
		return `service {${this._fields.map(([e, t]) => `${e}:${t.name}`).join("; ")}}`;
	}
	valueToString(e) {
		return `service "${e.toText()}"`;
	}
	fieldsAsObject() {
		let e = {};
		for (let [t, n] of this._fields) e[t] = n;
		return e;
	}
};
function R(e) {
	let t = JSON.stringify(e, (e, t) => typeof t == "bigint" ? `BigInt(${t})` : t);
	return t && t.length > Or ? `${t.substring(0, 397)}...` : t;
}
function ni(e, t) {
	if (t.length < e.length) throw Error("Wrong number of message arguments");
	let n = new Ar();
	return e.forEach((e) => e.buildTypeTable(n)), N(Dr, n.encode(), P(t.length), N(...e.map((e) => e.encodeType(n))), N(...kr(e, t, (e, t) => {
		try {
			e.covariant(t);
		} catch (e) {
			throw /* @__PURE__ */ Error(`${e.message}\n\n`);
		}
		return e.encodeValue(t);
	})));
}
function ri(e, t) {
	let n = new or(t);
	if (t.byteLength < 4) throw Error("Message length smaller than magic number");
	let r = gr(n, 4), i = new TextDecoder().decode(r);
	if (i !== Er) throw Error(`Wrong magic number: ${JSON.stringify(i)}`);
	function a(e) {
		let t = [], n = Number(vr(e));
		for (let r = 0; r < n; r++) {
			let n = Number(yr(e));
			switch (n) {
				case I.Opt:
				case I.Vector: {
					let r = Number(yr(e));
					t.push([n, r]);
					break;
				}
				case I.Record:
				case I.Variant: {
					let r = [], i = Number(vr(e)), a;
					for (; i--;) {
						let t = Number(vr(e));
						if (t >= 2 ** 32) throw Error("field id out of 32-bit range");
						if (typeof a == "number" && a >= t) throw Error("field id collision or not sorted");
						a = t;
						let n = Number(yr(e));
						r.push([t, n]);
					}
					t.push([n, r]);
					break;
				}
				case I.Func: {
					let r = [], i = Number(vr(e));
					for (; i--;) r.push(Number(yr(e)));
					let a = [], o = Number(vr(e));
					for (; o--;) a.push(Number(yr(e)));
					let s = [], c = Number(vr(e));
					for (; c--;) switch (Number(vr(e))) {
						case 1:
							s.push("query");
							break;
						case 2:
							s.push("oneway");
							break;
						case 3:
							s.push("composite_query");
							break;
						default: throw Error("unknown annotation");
					}
					t.push([n, [
						r,
						a,
						s
					]]);
					break;
				}
				case I.Service: {
					let r = Number(vr(e)), i = [];
					for (; r--;) {
						let t = Number(vr(e)), n = new TextDecoder().decode(gr(e, t)), r = yr(e);
						i.push([n, r]);
					}
					t.push([n, i]);
					break;
				}
				default: throw Error(`Illegal op_code: ${n}`);
			}
		}
		let r = [], i = Number(vr(e));
		for (let t = 0; t < i; t++) r.push(Number(yr(e)));
		return [t, r];
	}
	let [o, s] = a(n);
	if (s.length < e.length) throw Error("Wrong number of return values");
	let c = o.map((e) => Oi());
	function l(e) {
		if (e < -24) throw Error("future value not supported");
		if (e < 0) switch (e) {
			case -1: return ci;
			case -2: return si;
			case -3: return di;
			case -4: return ui;
			case -5: return vi;
			case -6: return yi;
			case -7: return bi;
			case -8: return xi;
			case -9: return mi;
			case -10: return hi;
			case -11: return gi;
			case -12: return _i;
			case -13: return fi;
			case -14: return pi;
			case -15: return li;
			case -16: return ai;
			case -17: return ii;
			case -24: return Si;
			default: throw Error(`Illegal op_code: ${e}`);
		}
		if (e >= o.length) throw Error("type index out of range");
		return c[e];
	}
	function u(e) {
		switch (e[0]) {
			case I.Vector: return wi(l(e[1]));
			case I.Opt: return Ti(l(e[1]));
			case I.Record: {
				let t = {};
				for (let [n, r] of e[1]) {
					let e = `_${n}_`;
					t[e] = l(r);
				}
				let n = Ei(t), r = n.tryAsTuple();
				return Array.isArray(r) ? Ci(...r) : n;
			}
			case I.Variant: {
				let t = {};
				for (let [n, r] of e[1]) {
					let e = `_${n}_`;
					t[e] = l(r);
				}
				return Di(t);
			}
			case I.Func: {
				let [t, n, r] = e[1];
				return ki(t.map((e) => l(e)), n.map((e) => l(e)), r);
			}
			case I.Service: {
				let t = {}, n = e[1];
				for (let [e, r] of n) {
					let n = l(r);
					if (n instanceof Zr && (n = n.getType()), !(n instanceof ei)) throw Error("Illegal service definition: services can only contain functions");
					t[e] = n;
				}
				return Ai(t);
			}
			default: throw Error(`Illegal op_code: ${e[0]}`);
		}
	}
	o.forEach((e, t) => {
		if (e[0] === I.Func) {
			let n = u(e);
			c[t].fill(n);
		}
	}), o.forEach((e, t) => {
		if (e[0] !== I.Func) {
			let n = u(e);
			c[t].fill(n);
		}
	}), Ni();
	let d = s.map((e) => l(e));
	try {
		let t = e.map((e, t) => e.decodeValue(n, d[t]));
		for (let t = e.length; t < d.length; t++) d[t].decodeValue(n, d[t]);
		if (n.byteLength > 0) throw Error("decode: Left-over bytes");
		return t;
	} finally {
		Ni();
	}
}
var ii = new Fr(), ai = new zr(), oi = new Ir(), si = new Lr(), ci = new Rr(), li = new Br(), ui = new Vr(), di = new Hr(), fi = new Ur(32), pi = new Ur(64), mi = new Wr(8), hi = new Wr(16), gi = new Wr(32), _i = new Wr(64), vi = new Gr(8), yi = new Gr(16), bi = new Gr(32), xi = new Gr(64), Si = new $r();
function Ci(...e) {
	return new Yr(e);
}
function wi(e) {
	return new Kr(e);
}
function Ti(e) {
	return new qr(e);
}
function Ei(e) {
	return new Jr(e);
}
function Di(e) {
	return new Xr(e);
}
function Oi() {
	return new Zr();
}
function ki(e, t, n = []) {
	return new ei(e, t, n);
}
function Ai(e) {
	return new ti(e);
}
var ji = class e {
	constructor(e = /* @__PURE__ */ new Map()) {
		this.rels = e;
	}
	copy() {
		let t = /* @__PURE__ */ new Map();
		for (let [e, n] of this.rels.entries()) {
			let r = new Map(n);
			t.set(e, r);
		}
		return new e(t);
	}
	known(e, t) {
		return this.rels.get(e.name)?.get(t.name);
	}
	addNegative(e, t) {
		this.addNames(e.name, t.name, !1);
	}
	add(e, t) {
		this.addNames(e.name, t.name, !0);
	}
	display() {
		let e = "";
		for (let [t, n] of this.rels) for (let [r, i] of n) e += `${t} ${i ? ":<" : "!<:"} ${r}\n`;
		return e;
	}
	addNames(e, t, n) {
		let r = this.rels.get(e);
		if (r == null) {
			let r = /* @__PURE__ */ new Map();
			r.set(t, n), this.rels.set(e, r);
		} else r.set(t, n);
	}
}, Mi = new ji();
function Ni() {
	Mi = new ji();
}
function Pi(e, t) {
	let n = new Set(e.annotations), r = new Set(t.annotations);
	if (n.size !== r.size) return !1;
	for (let e of n) if (!r.has(e)) return !1;
	return !0;
}
function Fi(e) {
	return e instanceof qr || e instanceof Rr || e instanceof zr;
}
function Ii(e, t) {
	let n = Li(Mi.copy(), e, t);
	return n ? Mi.add(e, t) : Mi.addNegative(e, t), n;
}
function Li(e, t, n) {
	if (t.name === n.name) return !0;
	let r = e.known(t, n);
	if (r !== void 0) return r;
	if (e.add(t, n), n instanceof zr || t instanceof Fr || t instanceof Hr && n instanceof Vr) return !0;
	if (t instanceof Kr && n instanceof Kr) return Li(e, t._type, n._type);
	if (n instanceof qr) return !0;
	if (t instanceof Jr && n instanceof Jr) {
		let r = t.fieldsAsObject;
		for (let [t, i] of n._fields) {
			let n = r[fr(t)];
			if (!n) {
				if (!Fi(i)) return !1;
			} else if (!Li(e, n, i)) return !1;
		}
		return !0;
	}
	if (t instanceof ei && n instanceof ei) {
		if (!Pi(t, n)) return !1;
		for (let r = 0; r < t.argTypes.length; r++) {
			let i = t.argTypes[r];
			if (r < n.argTypes.length) {
				if (!Li(e, n.argTypes[r], i)) return !1;
			} else if (!Fi(i)) return !1;
		}
		for (let r = 0; r < n.retTypes.length; r++) {
			let i = n.retTypes[r];
			if (r < t.retTypes.length) {
				if (!Li(e, t.retTypes[r], i)) return !1;
			} else if (!Fi(i)) return !1;
		}
		return !0;
	}
	if (t instanceof Xr && n instanceof Xr) {
		let r = n.alternativesAsObject;
		for (let [n, i] of t._fields) {
			let t = r[fr(n)];
			if (!t || !Li(e, i, t)) return !1;
		}
		return !0;
	}
	if (t instanceof ti && n instanceof ti) {
		let r = t.fieldsAsObject();
		for (let [t, i] of n._fields) {
			let n = r[t];
			if (!n || !Li(e, n, i)) return !1;
		}
		return !0;
	}
	return t instanceof Zr ? Li(e, t.getType(), n) : n instanceof Zr && Li(e, t, n.getType());
}
// node_modules/@icp-sdk/core/lib/esm/candid/candid-core.js
var Ri = class {
	constructor(e, t) {
		this.idl = e, this.ui = t, this.label = null, this.value = void 0;
		let n = document.createElement("span");
		n.className = "status", this.status = n, t.input && (t.input.addEventListener("blur", () => {
			t.input.value !== "" && this.parse();
		}), t.input.addEventListener("input", () => {
			n.style.display = "none", t.input.classList.remove("reject");
		}));
	}
	isRejected() {
		return this.value === void 0;
	}
	parse(e = {}) {
		if (this.ui.form) {
			let t = this.ui.form.parse(e);
			return this.value = t, t;
		}
		if (this.ui.input) {
			let t = this.ui.input;
			try {
				let n = this.ui.parse(this.idl, e, t.value);
				if (!this.idl.covariant(n)) throw Error(`${t.value} is not of type ${this.idl.display()}`);
				return this.status.style.display = "none", this.value = n, n;
			} catch (e) {
				t.classList.add("reject"), this.status.style.display = "block", this.status.innerHTML = `InputError: ${e.message}`, this.value = void 0;
				return;
			}
		}
		return null;
	}
	render(e) {
		let t = document.createElement("span");
		if (this.label) {
			let e = document.createElement("label");
			e.innerText = this.label, t.appendChild(e);
		}
		this.ui.input && (t.appendChild(this.ui.input), t.appendChild(this.status)), this.ui.form && this.ui.form.render(t), e.appendChild(t);
	}
}, zi = class {
	constructor(e) {
		this.ui = e, this.form = [];
	}
	renderForm(e) {
		this.ui.container ? (this.form.forEach((e) => e.render(this.ui.container)), e.appendChild(this.ui.container)) : this.form.forEach((t) => t.render(e));
	}
	render(e) {
		if (this.ui.open && this.ui.event) {
			e.appendChild(this.ui.open);
			let t = this;
			t.ui.open.addEventListener(t.ui.event, () => {
				if (t.ui.container) t.ui.container.innerHTML = "";
				else {
					let e = t.ui.open.nextElementSibling;
					e && e.parentNode.removeChild(e);
				}
				t.generateForm(), t.renderForm(e);
			});
		} else this.generateForm(), this.renderForm(e);
	}
}, Bi = class extends zi {
	constructor(e, t) {
		super(t), this.fields = e, this.ui = t;
	}
	generateForm() {
		this.form = this.fields.map(([e, t]) => {
			let n = this.ui.render(t);
			return n.label = this.ui.labelMap && this.ui.labelMap.hasOwnProperty(e) ? `${this.ui.labelMap[e]} ` : `${e} `, n;
		});
	}
	parse(e) {
		let t = {};
		if (this.fields.forEach(([n, r], i) => {
			let a = this.form[i].parse(e);
			t[n] = a;
		}), !this.form.some((e) => e.isRejected())) return t;
	}
}, Vi = class extends zi {
	constructor(e, t) {
		super(t), this.components = e, this.ui = t;
	}
	generateForm() {
		this.form = this.components.map((e) => this.ui.render(e));
	}
	parse(e) {
		let t = [];
		if (this.components.forEach((n, r) => {
			let i = this.form[r].parse(e);
			t.push(i);
		}), !this.form.some((e) => e.isRejected())) return t;
	}
}, Hi = class extends zi {
	constructor(e, t) {
		super(t), this.fields = e, this.ui = t;
	}
	generateForm() {
		let e = this.ui.open.selectedIndex, [t, n] = this.fields[e], r = this.ui.render(n);
		this.form = [r];
	}
	parse(e) {
		let t = this.ui.open, n = t.options[t.selectedIndex].value, r = this.form[0].parse(e);
		if (r === void 0) return;
		let i = {};
		return i[n] = r, i;
	}
}, Ui = class extends zi {
	constructor(e, t) {
		super(t), this.ty = e, this.ui = t;
	}
	generateForm() {
		if (this.ui.open.checked) {
			let e = this.ui.render(this.ty);
			this.form = [e];
		} else this.form = [];
	}
	parse(e) {
		if (this.form.length === 0) return [];
		let t = this.form[0].parse(e);
		if (t !== void 0) return [t];
	}
}, Wi = class extends zi {
	constructor(e, t) {
		super(t), this.ty = e, this.ui = t;
	}
	generateForm() {
		let e = +this.ui.open.value;
		this.form = [];
		for (let t = 0; t < e; t++) {
			let e = this.ui.render(this.ty);
			this.form.push(e);
		}
	}
	parse(e) {
		let t = this.form.map((t) => t.parse(e));
		if (!this.form.some((e) => e.isRejected())) return t;
	}
}, Gi = { parse: na }, Ki = { render: ra }, qi = (e, t) => new Ri(e, {
	...Gi,
	...t
}), Ji = (e, t) => new Bi(e, {
	...Ki,
	...t
}), Yi = (e, t) => new Vi(e, {
	...Ki,
	...t
}), Xi = (e, t) => new Hi(e, {
	...Ki,
	...t
}), Zi = (e, t) => new Ui(e, {
	...Ki,
	...t
}), Qi = (e, t) => new Wi(e, {
	...Ki,
	...t
}), $i = class extends jr {
	visitType(e, t) {
		let n = document.createElement("input");
		return n.classList.add("argument"), n.placeholder = e.display(), qi(e, { input: n });
	}
	visitNull(e, t) {
		return qi(e, {});
	}
	visitRecord(e, t, n) {
		let r = {};
		if (t.length > 1) {
			let e = document.createElement("div");
			e.classList.add("popup-form"), r = { container: e };
		}
		return qi(e, { form: Ji(t, r) });
	}
	visitTuple(e, t, n) {
		let r = {};
		if (t.length > 1) {
			let e = document.createElement("div");
			e.classList.add("popup-form"), r = { container: e };
		}
		return qi(e, { form: Yi(t, r) });
	}
	visitVariant(e, t, n) {
		let r = document.createElement("select");
		for (let [e, n] of t) {
			let t = new Option(e);
			r.add(t);
		}
		return r.selectedIndex = -1, r.classList.add("open"), qi(e, { form: Xi(t, {
			open: r,
			event: "change"
		}) });
	}
	visitOpt(e, t, n) {
		let r = document.createElement("input");
		return r.type = "checkbox", r.classList.add("open"), qi(e, { form: Zi(t, {
			open: r,
			event: "change"
		}) });
	}
	visitVec(e, t, n) {
		let r = document.createElement("input");
		r.type = "number", r.min = "0", r.max = "100", r.style.width = "8rem", r.placeholder = "len", r.classList.add("open");
		let i = document.createElement("div");
		return i.classList.add("popup-form"), qi(e, { form: Qi(t, {
			open: r,
			event: "change",
			container: i
		}) });
	}
	visitRec(e, t, n) {
		return ra(t);
	}
}, ea = class extends jr {
	visitNull(e, t) {
		return null;
	}
	visitBool(e, t) {
		if (t === "true") return !0;
		if (t === "false") return !1;
		throw Error(`Cannot parse ${t} as boolean`);
	}
	visitText(e, t) {
		return t;
	}
	visitFloat(e, t) {
		return parseFloat(t);
	}
	visitFixedInt(e, t) {
		return e._bits <= 32 ? parseInt(t, 10) : BigInt(t);
	}
	visitFixedNat(e, t) {
		return e._bits <= 32 ? parseInt(t, 10) : BigInt(t);
	}
	visitNumber(e, t) {
		return BigInt(t);
	}
	visitPrincipal(e, t) {
		return D.fromText(t);
	}
	visitService(e, t) {
		return D.fromText(t);
	}
	visitFunc(e, t) {
		let n = t.split(".", 2);
		return [D.fromText(n[0]), n[1]];
	}
}, ta = class extends jr {
	visitNull(e, t) {
		return null;
	}
	visitBool(e, t) {
		return Math.random() < .5;
	}
	visitText(e, t) {
		return Math.random().toString(36).substring(6);
	}
	visitFloat(e, t) {
		return Math.random();
	}
	visitInt(e, t) {
		return BigInt(this.generateNumber(!0));
	}
	visitNat(e, t) {
		return BigInt(this.generateNumber(!1));
	}
	visitFixedInt(e, t) {
		let n = this.generateNumber(!0);
		return e._bits <= 32 ? n : BigInt(t);
	}
	visitFixedNat(e, t) {
		let n = this.generateNumber(!1);
		return e._bits <= 32 ? n : BigInt(t);
	}
	generateNumber(e) {
		let t = Math.floor(Math.random() * 100);
		return e && Math.random() < .5 ? -t : t;
	}
};
function na(e, t, n) {
	return t.random && n === "" ? e.accept(new ta(), n) : e.accept(new ea(), n);
}
function ra(e) {
	return e.accept(new $i(), null);
}
function ia(e, t, n) {
	return e.accept(new aa(), {
		input: t,
		value: n
	});
}
var aa = class extends jr {
	visitType(e, t) {
		t.input.ui.input.value = e.valueToString(t.value);
	}
	visitNull(e, t) {}
	visitText(e, t) {
		t.input.ui.input.value = t.value;
	}
	visitRec(e, t, n) {
		ia(t, n.input, n.value);
	}
	visitOpt(e, t, n) {
		if (n.value.length !== 0) {
			let e = n.input.ui.form, r = e.ui.open;
			r.checked = !0, r.dispatchEvent(new Event(e.ui.event)), ia(t, e.form[0], n.value[0]);
		}
	}
	visitRecord(e, t, n) {
		let r = n.input.ui.form;
		t.forEach(([e, t], i) => {
			ia(t, r.form[i], n.value[e]);
		});
	}
	visitTuple(e, t, n) {
		let r = n.input.ui.form;
		t.forEach((e, t) => {
			ia(e, r.form[t], n.value[t]);
		});
	}
	visitVariant(e, t, n) {
		let r = n.input.ui.form, i = Object.entries(n.value)[0];
		t.forEach(([e, t], n) => {
			if (e === i[0]) {
				let e = r.ui.open;
				e.selectedIndex = n, e.dispatchEvent(new Event(r.ui.event)), ia(t, r.form[0], i[1]);
			}
		});
	}
	visitVec(e, t, n) {
		let r = n.input.ui.form, i = n.value.length, a = r.ui.open;
		a.value = i, a.dispatchEvent(new Event(r.ui.event)), n.value.forEach((e, n) => {
			ia(t, r.form[n], e);
		});
	}
}, oa = "__expiry__", sa = BigInt(1e3), ca = BigInt(1e6), la = BigInt(60) * sa, ua = BigInt(1) * la;
function da(e) {
	return e / sa * sa;
}
function fa(e) {
	return e / la * la;
}
var pa = class e {
	constructor(e) {
		this.__expiry__ = e, this._isExpiry = !0;
	}
	static fromDeltaInMilliseconds(t, n = 0) {
		let r = BigInt(Date.now()) + BigInt(n), i = r + BigInt(t), a = fa(i), o;
		return o = a >= r + ua ? a : da(i), new e(o * ca);
	}
	toBigInt() {
		return this.__expiry__;
	}
	toHash() {
		return P(this.__expiry__);
	}
	toString() {
		return this.__expiry__.toString();
	}
	toJSON() {
		return { [oa]: this.toString() };
	}
	static fromJSON(t) {
		let n = JSON.parse(t);
		if (n.__expiry__) try {
			let t = BigInt(n[oa]);
			return new e(t);
		} catch (e) {
			throw new M(new nr(`Not a valid BigInt: ${e}`));
		}
		throw new M(new nr(`The input does not contain the key ${oa}`));
	}
	static isExpiry(t) {
		return t instanceof e || typeof t == "object" && !!t && "_isExpiry" in t && t._isExpiry === !0 && "__expiry__" in t && typeof t.__expiry__ == "bigint";
	}
};
// node_modules/@icp-sdk/core/lib/esm/agent/cbor.js
function ma(e) {
	return typeof e == "object" && !!e && "toCborValue" in e;
}
function ha(e) {
	try {
		let t = Ut(e, (e) => D.isPrincipal(e) ? e.toUint8Array() : pa.isExpiry(e) ? e.toBigInt() : ma(e) ? e.toCborValue() : e);
		return t.buffer instanceof ArrayBuffer ? t : t.slice();
	} catch (t) {
		throw M.fromCode(new jn(t, e));
	}
}
function ga(e) {
	try {
		return wt(e);
	} catch (t) {
		throw M.fromCode(new An(t, e));
	}
}
// node_modules/@icp-sdk/core/lib/esm/agent/utils/leb.js
var _a = BigInt(1e6), va = (e) => vr(new or(e)), ya = (e) => {
	let t = va(e) / _a;
	return new Date(Number(t));
};
// node_modules/@noble/curves/utils.js
function ba(e, t, n = () => {}) {
	if (!Array.isArray(e)) throw TypeError(`"${t}" expected array, got type=${typeof e}`);
	for (let r = 0; r < e.length; r++) n(e[r], `${t}[${r}]`);
	return e;
}
var z = (e, t, n) => pe(e, t, n), xa = fe;
function Sa(e, t = "") {
	if (typeof e != "string") {
		let n = t && `"${t}" `;
		throw TypeError(n + "expected string, got type=" + typeof e);
	}
	return e;
}
function Ca(e, t = "object") {
	if (typeof e != "object" || !e || Array.isArray(e)) throw TypeError(t === "object" ? "expected valid options object" : `"${t}" expected object, got type=${typeof e}`);
	return e;
}
function wa(e, t) {
	if (typeof e != "function") throw TypeError(`"${t}" is invalid: expected function, got ${typeof e}`);
	return e;
}
var Ta = E, B = (...e) => ke(...e), Ea = (e) => Ee(e), Da = ue, Oa = (e) => Me(e), ka = /* @__PURE__ */ BigInt(0), Aa = /* @__PURE__ */ BigInt(1), ja = (e) => e ? `"${e}" ` : "";
function Ma(e, t = "") {
	if (typeof e != "boolean") throw TypeError(ja(t) + "expected boolean, got type=" + typeof e);
	return e;
}
function Na(e) {
	if (typeof e == "bigint") {
		if (!Ha(e)) throw RangeError("positive bigint expected, got " + e);
	} else xa(e);
	return e;
}
function V(e, t = "") {
	if (typeof e != "number") {
		let n = t && `"${t}" `;
		throw TypeError(n + "expected number, got type=" + typeof e);
	}
	if (!Number.isSafeInteger(e)) {
		let n = t && `"${t}" `;
		throw RangeError(n + "expected safe integer, got " + e);
	}
}
function Pa(e) {
	let t = Na(e).toString(16);
	return t.length & 1 ? "0" + t : t;
}
function Fa(e) {
	if (typeof e != "string") throw TypeError("hex string expected, got " + typeof e);
	return e === "" ? ka : BigInt("0x" + e);
}
function Ia(e) {
	return Fa(E(e));
}
function La(e) {
	return Fa(E(Ba(pe(e)).reverse()));
}
function Ra(e, t) {
	if (fe(t), t === 0) throw Error("zero output length is invalid");
	e = Na(e);
	let n = t * 2, r = e.toString(16);
	if (r.length > n) throw RangeError("number is too large");
	return Ee(r.padStart(n, "0"));
}
function za(e, t) {
	return Ra(e, t).reverse();
}
function Ba(e) {
	return Uint8Array.from(z(e));
}
function Va(e) {
	if (typeof e != "string") throw TypeError("ascii string expected, got " + typeof e);
	return Uint8Array.from(e, (t, n) => {
		let r = t.charCodeAt(0);
		if (t.length !== 1 || r > 127) throw RangeError(`string contains non-ASCII character "${e[n]}" with code ${r} at position ${n}`);
		return r;
	});
}
function Ha(e) {
	return typeof e == "bigint" && ka <= e;
}
function Ua(e, t, n) {
	return Ha(e) && Ha(t) && Ha(n) && t <= e && e < n;
}
function Wa(e, t, n, r) {
	if (!Ua(t, n, r)) throw RangeError("expected valid " + e + ": " + n + " <= n < " + r + ", got " + t);
}
function Ga(e) {
	if (e < ka) throw Error("expected non-negative bigint, got " + e);
	return e === ka ? 0 : e.toString(2).length;
}
function Ka(e, t) {
	if (typeof e != "bigint") throw TypeError("\"n\" expected bigint, got type=" + typeof e);
	return V(t, "pos"), e >> BigInt(t) & Aa;
}
var qa = (e) => (V(e, "n"), (Aa << BigInt(e)) - Aa);
function Ja(e, t, n) {
	if (fe(e, "hashLen"), fe(t, "qByteLen"), typeof n != "function") throw TypeError("hmacFn must be a function");
	let r = (e) => new Uint8Array(e), i = Uint8Array.of(), a = Uint8Array.of(0), o = Uint8Array.of(1), s = r(e), c = r(e), l = 0, u = () => {
		s.fill(1), c.fill(0), l = 0;
	}, d = (...e) => n(c, B(s, ...e)), f = (e = i) => {
		c = d(a, e), s = d(), e.length !== 0 && (c = d(o, e), s = d());
	}, p = () => {
		if (l++ >= 1e3) throw Error("drbg: tried max amount of iterations");
		let e = 0, n = [];
		for (; e < t;) {
			s = d();
			let t = s.slice();
			n.push(t), e += s.length;
		}
		return B(...n);
	};
	return (e, t) => {
		u(), f(e);
		let n;
		for (; (n = t(p())) === void 0;) f();
		return u(), n;
	};
}
function Ya(e, t = {}, n = {}, r = "object") {
	Ca(e, r), Ca(t, "fields"), Ca(n, "optFields");
	function i(t, n, i) {
		let a = r === "object" ? `param "${String(t)}"` : `"${r}.${String(t)}"`, o = e[t];
		if (!Object.hasOwn(e, t) && (i ? o !== void 0 : n !== "function")) throw TypeError(`${a} is invalid: expected own property`);
		if (i && o === void 0) return;
		let s = typeof o;
		if (s !== n || o === null) throw TypeError(`${a} is invalid: expected ${n}, got ${s}`);
	}
	let a = (e, t) => Object.entries(e).forEach(([e, n]) => i(e, n, t));
	a(t, !1), a(n, !0);
}
var Xa = () => {
	throw Error("not implemented");
}, H = /* @__PURE__ */ BigInt(0), U = /* @__PURE__ */ BigInt(1), Za = /* @__PURE__ */ BigInt(2), Qa = /* @__PURE__ */ BigInt(3), $a = /* @__PURE__ */ BigInt(4), eo = /* @__PURE__ */ BigInt(5), to = /* @__PURE__ */ BigInt(7), no = /* @__PURE__ */ BigInt(8), ro = /* @__PURE__ */ BigInt(9), io = /* @__PURE__ */ BigInt(15), ao = /* @__PURE__ */ BigInt(16), oo = /* @__PURE__ */ BigInt("0x10000000000000000");
function W(e, t) {
	if (t <= H) throw Error("mod: expected positive modulus, got " + t);
	let n = e % t;
	return n >= H ? n : t + n;
}
function so(e, t, n) {
	if (n <= U) throw Error("pow: expected modulus > 1, got " + n);
	if (typeof t != "bigint") throw TypeError("invalid exponent: expected bigint, got " + typeof t);
	if (t < H) throw Error("invalid exponent, negatives unsupported");
	if (t === H) return U;
	if (t === U) return e;
	let r = e % n;
	if (r < H && (r += n), t < oo) {
		let e = U;
		for (; t > H;) t & U && (e = e * r % n), r = r * r % n, t >>= U;
		return e;
	}
	let i = [];
	for (; t > H;) i.push(Number(t & io)), t >>= $a;
	let a = Array(16);
	a[0] = U, a[1] = r;
	for (let e = 2; e < 16; e++) a[e] = a[e - 1] * r % n;
	let o = a[i[i.length - 1]];
	for (let e = i.length - 2; e >= 0; e--) {
		o = o * o % n, o = o * o % n, o = o * o % n, o = o * o % n;
		let t = i[e];
		t !== 0 && (o = o * a[t] % n);
	}
	return o;
}
function G(e, t, n) {
	if (n <= U) throw Error("pow2: expected modulus > 1, got " + n);
	if (t < H) throw Error("pow2: expected non-negative exponent, got " + t);
	let r = e;
	for (; t-- > H;) r *= r, r %= n;
	return r;
}
function co(e, t) {
	if (e === H) throw Error("invert: expected non-zero number");
	if (t <= U) throw Error("invert: expected modulus > 1, got " + t);
	let n = W(e, t), r = t, i = H, a = U;
	for (; n !== H;) {
		let e = r / n, t = r - n * e, o = i - a * e;
		r = n, n = t, i = a, a = o;
	}
	if (r !== U) throw Error("invert: does not exist");
	return W(i, t);
}
function lo(e, t) {
	if (t <= U) throw Error("invertCt: expected prime modulus > 1, got " + t);
	let n = W(e, t);
	if (n === H) throw Error("invertCt: expected non-zero number");
	let r = so(n, t - Za, t);
	if (W(n * r, t) !== U) throw Error("invertCt: does not exist");
	return r;
}
function uo(e, t, n) {
	let r = e;
	if (!r.eql(r.sqr(t), n)) throw Error("Cannot find square root");
}
function fo(e, t) {
	if ((e & U) === H) throw Error(t + ": expected odd modulus, got " + e);
}
function po(e, t) {
	let n = e, r = (n.ORDER + U) / $a, i = n.pow(t, r);
	return uo(n, i, t), i;
}
function mo(e, t) {
	let n = e, r = (n.ORDER - eo) / no, i = n.mul(t, Za), a = n.pow(i, r), o = n.mul(t, a), s = n.mul(n.mul(o, Za), a), c = n.mul(o, n.sub(s, n.ONE));
	return uo(n, c, t), c;
}
function ho(e) {
	let t = Oo(e), n = go(e), r = n(t, t.neg(t.ONE)), i = n(t, r), a = n(t, t.neg(r)), o = (e + to) / ao;
	return ((e, t) => {
		let n = e, s = n.pow(t, o), c = n.mul(s, r), l = n.mul(s, i), u = n.mul(s, a), d = n.eql(n.sqr(c), t), f = n.eql(n.sqr(l), t);
		s = n.cmov(s, c, d), c = n.cmov(u, l, f);
		let p = n.eql(n.sqr(c), t), m = n.cmov(s, c, p);
		return uo(n, m, t), m;
	});
}
function go(e) {
	if (e < Qa) throw Error("sqrt is not defined for small field");
	fo(e, "tonelliShanks");
	let t = e - U, n = 0;
	for (; t % Za === H;) t /= Za, n++;
	let r = Za, i = Oo(e);
	for (; Co(i, r) === 1;) if (r++ > 1e3) throw Error("Cannot find square root: probably non-prime P");
	if (n === 1) return po;
	let a = i.pow(r, t), o = (t + U) / Za;
	return function(e, r) {
		let i = e;
		if (i.is0(r)) return r;
		if (Co(i, r) !== 1) throw Error("Cannot find square root");
		let s = n, c = i.mul(i.ONE, a), l = i.pow(r, t), u = i.pow(r, o);
		for (; !i.eql(l, i.ONE);) {
			if (i.is0(l)) throw Error("Cannot find square root: probably non-prime P");
			let e = 1, t = i.sqr(l);
			for (; !i.eql(t, i.ONE);) if (e++, t = i.sqr(t), e === s) throw Error("Cannot find square root");
			let n = U << BigInt(s - e - 1), r = i.pow(c, n);
			s = e, c = i.sqr(r), l = i.mul(l, c), u = i.mul(u, r);
		}
		return u;
	};
}
function _o(e) {
	return fo(e, "Fp.sqrt"), e % $a === Qa ? po : e % no === eo ? mo : e % ao === ro ? ho(e) : go(e);
}
var vo = (e, t) => (W(e, t) & U) === U, yo = [
	"create",
	"isValid",
	"is0",
	"neg",
	"inv",
	"sqrt",
	"sqr",
	"eql",
	"add",
	"sub",
	"mul",
	"pow",
	"div",
	"addN",
	"subN",
	"mulN",
	"sqrN"
];
function bo(e) {
	if (Ca(e, "field"), typeof e.ORDER != "bigint") throw TypeError("param \"ORDER\" is invalid: expected bigint, got " + typeof e.ORDER);
	V(e.BYTES, "BYTES"), V(e.BITS, "BITS");
	for (let t of yo) wa(e[t], "field." + t);
	if (e.BYTES < 1 || e.BITS < 1) throw Error("invalid field: expected BYTES/BITS > 0");
	if (e.ORDER <= U) throw Error("invalid field: expected ORDER > 1, got " + e.ORDER);
	return e;
}
function xo(e, t, n) {
	bo(e);
	let r = e;
	if (typeof n != "bigint") throw TypeError("invalid exponent: expected bigint, got " + typeof n);
	if (n < H) throw Error("invalid exponent, negatives unsupported");
	if (n === H) return r.ONE;
	if (n === U) return t;
	if (n < oo) {
		let e = r.ONE, i = t;
		for (; n > H;) n & U && (e = r.mul(e, i)), i = r.sqr(i), n >>= U;
		return e;
	}
	let i = [];
	for (; n > H;) i.push(Number(n & io)), n >>= $a;
	let a = Array(16);
	a[0] = r.ONE, a[1] = t;
	for (let e = 2; e < 16; e++) a[e] = r.mul(a[e - 1], t);
	let o = a[i[i.length - 1]];
	for (let e = i.length - 2; e >= 0; e--) {
		o = r.sqr(r.sqr(r.sqr(r.sqr(o))));
		let t = i[e];
		t !== 0 && (o = r.mul(o, a[t]));
	}
	return o;
}
function So(e, t, n = !1) {
	bo(e), ba(t, "nums"), Ma(n, "passZero");
	let r = e, i = Array(t.length).fill(n ? r.ZERO : void 0), a = t.reduce((e, t, n) => r.is0(t) ? e : (i[n] = e, r.mul(e, t)), r.ONE), o = r.inv(a);
	return t.reduceRight((e, t, n) => r.is0(t) ? e : (i[n] = r.mul(e, i[n]), r.mul(e, t)), o), i;
}
function Co(e, t) {
	bo(e);
	let n = e;
	fo(n.ORDER, "FpLegendre");
	let r = (n.ORDER - U) / Za, i = n.pow(t, r), a = n.eql(i, n.ONE), o = n.eql(i, n.ZERO), s = n.eql(i, n.neg(n.ONE));
	if (!a && !o && !s) throw Error("invalid Legendre symbol result");
	return a ? 1 : o ? 0 : -1;
}
function wo(e, t) {
	return Co(e, t) !== -1;
}
function To(e, t) {
	if (t !== void 0 && xa(t), e <= H) throw Error("invalid n length: expected positive n, got " + e);
	if (t !== void 0 && t < 1) throw Error("invalid n length: expected positive bit length, got " + t);
	let n = Ga(e);
	if (t !== void 0 && t < n) throw Error(`invalid n length: expected nBitLength (${t}) >= bitLen(n) (${n})`);
	let r = t === void 0 ? n : t;
	return {
		nBitLength: r,
		nByteLength: Math.ceil(r / 8)
	};
}
var Eo = /* @__PURE__ */ new WeakMap(), Do = class {
	ORDER;
	BITS;
	BYTES;
	isLE;
	ZERO = H;
	ONE = U;
	_lengths;
	_mod;
	constructor(e, t = {}) {
		if (e <= U) throw Error("invalid field: expected ORDER > 1, got " + e);
		let n;
		this.isLE = !1, typeof t == "object" && t && (typeof t.BITS == "number" && (n = t.BITS), typeof t.sqrt == "function" && Object.defineProperty(this, "sqrt", {
			value: t.sqrt,
			enumerable: !0
		}), typeof t.isLE == "boolean" && (this.isLE = t.isLE), t.allowedLengths && (this._lengths = Object.freeze(t.allowedLengths.slice())), typeof t.modFromBytes == "boolean" && (this._mod = t.modFromBytes));
		let { nBitLength: r, nByteLength: i } = To(e, n);
		if (i > 2048) throw Error("invalid field: expected ORDER of <= 2048 bytes");
		this.ORDER = e, this.BITS = r, this.BYTES = i, Object.freeze(this);
	}
	create(e) {
		return W(e, this.ORDER);
	}
	isValid(e) {
		if (typeof e != "bigint") throw TypeError("invalid field element: expected bigint, got " + typeof e);
		return H <= e && e < this.ORDER;
	}
	is0(e) {
		return e === H;
	}
	isValidNot0(e) {
		return !this.is0(e) && this.isValid(e);
	}
	isOdd(e) {
		return (e & U) === U;
	}
	neg(e) {
		return W(-e, this.ORDER);
	}
	eql(e, t) {
		return e === t;
	}
	sqr(e) {
		return W(e * e, this.ORDER);
	}
	add(e, t) {
		return W(e + t, this.ORDER);
	}
	sub(e, t) {
		return W(e - t, this.ORDER);
	}
	mul(e, t) {
		return W(e * t, this.ORDER);
	}
	pow(e, t) {
		return so(e, t, this.ORDER);
	}
	div(e, t) {
		return W(e * co(t, this.ORDER), this.ORDER);
	}
	sqrN(e) {
		return e * e;
	}
	addN(e, t) {
		return e + t;
	}
	subN(e, t) {
		return e - t;
	}
	mulN(e, t) {
		return e * t;
	}
	inv(e) {
		return co(e, this.ORDER);
	}
	sqrt(e) {
		let t = Eo.get(this);
		return t || Eo.set(this, t = _o(this.ORDER)), t(this, e);
	}
	toBytes(e) {
		return this.isLE ? za(e, this.BYTES) : Ra(e, this.BYTES);
	}
	fromBytes(e, t = !1) {
		z(e);
		let { _lengths: n, BYTES: r, isLE: i, ORDER: a, _mod: o } = this;
		if (n) {
			if (e.length < 1 || !n.includes(e.length) || e.length > r) throw Error("Field.fromBytes: expected " + n + " bytes, got " + e.length);
			let t = new Uint8Array(r);
			t.set(e, i ? 0 : t.length - e.length), e = t;
		}
		if (e.length !== r) throw Error("Field.fromBytes: expected " + r + " bytes, got " + e.length);
		let s = i ? La(e) : Ia(e);
		if (o && (s = W(s, a)), !t && !this.isValid(s)) throw Error("invalid field element: outside of range 0..ORDER");
		return s;
	}
	invertBatch(e) {
		return So(this, e, !0);
	}
	cmov(e, t, n) {
		return Ma(n, "condition"), n ? t : e;
	}
};
function Oo(e, t = {}) {
	return Object.freeze(Do.prototype), new Do(e, t);
}
function ko(e) {
	if (typeof e != "bigint") throw Error("field order must be bigint");
	if (e <= U) throw Error("field order must be greater than 1");
	let t = Ga(e - U);
	return Math.ceil(t / 8);
}
function Ao(e) {
	let t = ko(e);
	return t + Math.ceil(t / 2);
}
function jo(e, t, n = !1) {
	z(e);
	let r = e.length, i = ko(t), a = Math.max(Ao(t), 16);
	if (r < a || r > 1024) throw Error("expected " + a + "-1024 bytes of input, got " + r);
	let o = W(n ? La(e) : Ia(e), t - U) + U;
	return n ? za(o, i) : Ra(o, i);
}
// node_modules/@noble/curves/abstract/curve.js
var Mo = /* @__PURE__ */ BigInt(0), No = /* @__PURE__ */ BigInt(1), Po = /* @__PURE__ */ BigInt(4), Fo = 16, Io = 128, Lo = 5, Ro = 2 ** 31;
function zo(e) {
	let t = e;
	if (typeof t != "function") throw TypeError("\"Point\" expected constructor, got type=" + typeof e);
	wa(t.fromAffine, "Point.fromAffine"), wa(t.fromBytes, "Point.fromBytes"), wa(t.fromHex, "Point.fromHex"), Ca(t.BASE, "Point.BASE"), Ca(t.ZERO, "Point.ZERO"), bo(t.Fp), bo(t.Fn);
}
function Bo(e, t) {
	zo(e), Wo(t, e);
	let n = So(e.Fp, t.map((e) => e.Z));
	return t.map((t, r) => e.fromAffine(t.toAffine(n[r])));
}
function Vo(e, t, n = 1) {
	if (!Number.isSafeInteger(e) || e < n || e > t) throw Error("invalid window size, expected [" + n + ".." + t + "], got W=" + e);
}
function Ho(e, t) {
	let n = e * (4 * t + 128);
	if (n > Ro) throw Error("invalid window size: table would need ~" + Math.ceil(n / 2 ** 20) + " MiB, max " + Ro / 2 ** 20 + " MiB");
}
function Uo(e, t) {
	if (e !== void 0) {
		wa(e, "randomBytes");
		try {
			let n = e(t);
			if (!Da(n) || n.length !== t) return;
		} catch {
			return;
		}
		return e;
	}
}
function Wo(e, t) {
	ba(e, "points"), e.forEach((e, n) => {
		if (!(e instanceof t)) throw Error("invalid point at index " + n);
	});
}
function Go(e, t, n) {
	if (!Array.isArray(e)) throw Error("array of scalars expected");
	e.forEach((e, r) => {
		if (!(n === void 0 ? t.isValid(e) : Ha(e) && e < n)) throw Error("invalid scalar at index " + r);
	});
}
var Ko = /* @__PURE__ */ new WeakMap();
function qo(e) {
	return Ko.get(e) || 1;
}
function Jo(e, t) {
	let n = e.double(), r = [e];
	for (let e = 1; e < t; e++) r.push(r[e - 1].add(n));
	return r;
}
function Yo(e, t) {
	let n = 2 ** t, r = n / 2, i = BigInt(n - 1), a = [];
	for (; e > Mo;) {
		let t = 0;
		e & No && (t = Number(e & i), t >= r && (t -= n), e -= BigInt(t)), a.push(t), e >>= No;
	}
	return a;
}
function Xo(e, t, n) {
	let r = 2 ** t, i = r / 2, a = BigInt(r - 1), o = BigInt(t), s = [];
	for (let t = 0; t < n; t++) {
		let t = Number(e & a);
		e >>= o, t > i && (t -= r, e += No), s.push(t);
	}
	if (e !== Mo) throw Error("invalid wnaf");
	return s;
}
function Zo(e, t, n) {
	let r = 0;
	for (let e of n) r = Math.max(r, e.length);
	let i = e;
	for (let e = r - 1; e >= 0; e--) {
		e !== r - 1 && (i = i.double());
		for (let r = 0; r < n.length; r++) {
			let a = n[r][e];
			if (a) {
				let e = t[r][Math.abs(a) - 1 >> 1];
				i = i.add(a < 0 ? e.negate() : e);
			}
		}
	}
	return i;
}
var Qo = class {
	Point;
	BASE;
	ZERO;
	randomBytes;
	wnafPrecomputes = /* @__PURE__ */ new WeakMap();
	baseCanBeBlinded;
	bits;
	constructor(e, t) {
		zo(e), this.randomBytes = Uo(t, Fo), this.Point = e, this.BASE = e.BASE, this.ZERO = e.ZERO, this.bits = e.Fn.BITS;
	}
	buildWnafTable(e, t, n) {
		let r = Math.ceil(n / t) + 1, i = 2 ** (t - 1), a = [], o = e;
		for (let e = 0; e < r; e++) {
			let e = o;
			for (let t = 0; t < i; t++) a.push(e), e = e.add(o);
			o = a[a.length - 1].double();
		}
		return {
			W: t,
			bits: n,
			windows: r,
			comp: a
		};
	}
	wnafCachedCT(e, t) {
		let { W: n, windows: r, comp: i } = e, a = 2 ** (n - 1), o = Xo(t, n, r), s = this.ZERO, c = this.BASE;
		for (let e = 0; e < r; e++) {
			let t = o[e], n = e * a, r = Math.abs(t) - 1, l = i[n];
			for (let e = 1; e < a; e++) l = e === r ? i[n + e] : l;
			let u = l.negate();
			t === 0 ? c = c.add(i[n]) : s = s.add(t < 0 ? u : l);
		}
		return {
			p: s,
			f: c
		};
	}
	getWnafPrecomputes(e, t, n, r) {
		let i = this.wnafPrecomputes.get(t), a = i?.find((t) => t.W === e && t.bits === n);
		return a || (a = this.buildWnafTable(t, e, n), typeof r == "function" && (a = {
			...a,
			comp: r(a.comp)
		}), i || (i = [], this.wnafPrecomputes.set(t, i)), i.push(a)), a;
	}
	assertPoint(e) {
		if (!(e instanceof this.Point)) throw TypeError("\"point\" expected Point instance, got type=" + typeof e);
	}
	validateMulInput(e, t) {
		if (this.assertPoint(e), !Ua(t, No, this.Point.Fn.ORDER)) throw Error("invalid scalar");
	}
	runCT(e, t, n, r) {
		let i = qo(e);
		return i === 1 ? this.fixedWindowCT(e, t, n) : this.wnafCachedCT(this.getWnafPrecomputes(i, e, n, r), t);
	}
	mulCT(e, t, n) {
		return this.validateMulInput(e, t), this.runCT(e, t, this.bits, n);
	}
	mulCTBlinded(e, t, n) {
		if (this.validateMulInput(e, t), this.randomBytes === void 0) throw Error("randomBytes is required for scalar blinding");
		let r = this.Point.Fn.BITS + Io, i = this.randomBytes(Fo);
		if (!Da(i) || i.length !== Fo) throw Error("randomBytes returned invalid byte array");
		i[0] = i[0] & 63 | 128;
		let a = t + Ia(i) * this.Point.Fn.ORDER;
		return this.runCT(e, a, r, n);
	}
	fixedWindowCT(e, t, n) {
		let r = Lo, i = qa(r), a = Array(32);
		a[0] = this.ZERO;
		for (let t = 1; t < 32; t++) a[t] = a[t - 1].add(e);
		let o = Math.ceil(n / r), s = this.ZERO;
		for (let e = o - 1; e >= 0; e--) {
			if (e !== o - 1) for (let e = 0; e < r; e++) s = s.double();
			let n = Number(t >> BigInt(e * r) & i), c = a[0];
			for (let e = 1; e < 32; e++) c = e === n ? a[e] : c;
			s = s.add(c);
		}
		return {
			p: s,
			f: s
		};
	}
	shouldBlind(e, t) {
		return this.randomBytes === void 0 ? !1 : t === No || e === this.BASE && (this.baseCanBeBlinded === void 0 && (this.baseCanBeBlinded = this.mulUnsafe(this.BASE, this.Point.Fn.ORDER).is0()), this.baseCanBeBlinded);
	}
	mulSecret(e, t, n, r) {
		return this.shouldBlind(e, n) ? this.mulCTBlinded(e, t, r) : this.mulCT(e, t, r);
	}
	mulUnsafe(e, t, n) {
		if (this.assertPoint(e), !Ha(t)) throw Error("invalid scalar");
		let r = qo(e);
		if (r === 1 || t >= this.Point.Fn.ORDER) return $o(this.Point, [e], [t], !0);
		let i = this.getWnafPrecomputes(r, e, this.bits, n);
		return this.wnafCachedCT(i, t).p;
	}
	setWindowSize(e, t) {
		this.assertPoint(e), Vo(t, this.bits), Ho((Math.ceil((this.bits + Io) / t) + 1) * 2 ** (t - 1), this.Point.Fp.BYTES), Ko.set(e, t), this.wnafPrecomputes.delete(e);
	}
	hasWindowSize(e) {
		return qo(e) !== 1;
	}
};
function $o(e, t, n, r = !1) {
	if (zo(e), Wo(t, e), Ma(r, "allowOversized"), Go(n, e.Fn, r ? e.Fn.ORDER ** Po : void 0), t.length !== n.length) throw Error("arrays of points and scalars must have equal length");
	let i = t.map((e) => Jo(e, 4)), a = n.map((e) => Yo(e, 4));
	return Zo(e.ZERO, i, a);
}
function es(e, t, n) {
	if (t) {
		if (t.ORDER !== e) throw Error("Field.ORDER must match order: Fp == p, Fn == n");
		return bo(t), t;
	}
	return Oo(e, { isLE: n });
}
function ts(e, t, n = {}, r) {
	if (e !== "weierstrass" && e !== "edwards") throw Error("expected curve type \"weierstrass\" or \"edwards\"");
	if (r === void 0 && (r = e === "edwards"), !t || typeof t != "object") throw Error(`expected valid ${e} CURVE object`);
	Ya(n);
	for (let e of [
		"p",
		"n",
		"h"
	]) {
		let n = t[e];
		if (!(Ha(n) && n !== Mo)) throw Error(`CURVE.${e} must be positive bigint`);
	}
	let i = es(t.p, n.Fp, r), a = es(t.n, n.Fn, r), o = [
		"Gx",
		"Gy",
		"a",
		e === "weierstrass" ? "b" : "d"
	];
	for (let e of o) if (!i.isValid(t[e])) throw Error(`CURVE.${e} must be valid field element of CURVE.Fp`);
	return t = Object.freeze(Object.assign({}, t)), {
		CURVE: t,
		Fp: i,
		Fn: a
	};
}
function ns(e, t) {
	return function(n) {
		let r = e(n);
		return {
			secretKey: r,
			publicKey: t(r)
		};
	};
}
// node_modules/@noble/curves/abstract/hash-to-curve.js
var rs = /* @__PURE__ */ BigInt(0), is = /* @__PURE__ */ BigInt(1), as = /* @__PURE__ */ BigInt(2), os = /* @__PURE__ */ BigInt(3), ss = /* @__PURE__ */ BigInt(4), cs = Ia;
function ls(e, t) {
	if (V(e), V(t), t < 0 || t > 4) throw Error("invalid I2OSP length: " + t);
	if (e < 0 || e > 2 ** (8 * t) - 1) throw Error("invalid I2OSP input: " + e);
	let n = Array.from({ length: t }).fill(0);
	for (let r = t - 1; r >= 0; r--) n[r] = e & 255, e >>>= 8;
	return new Uint8Array(n);
}
function us(e, t) {
	let n = new Uint8Array(e.length);
	for (let r = 0; r < e.length; r++) n[r] = e[r] ^ t[r];
	return n;
}
function ds(e) {
	if (!Da(e) && typeof e != "string") throw Error("DST must be Uint8Array or ascii string");
	let t = typeof e == "string" ? Va(e) : e;
	if (t.length === 0) throw Error("DST must be non-empty");
	return t;
}
function fs(e, t, n, r) {
	if (z(e), V(n), typeof r != "function") throw Error("expand_message_xmd: expected hash function");
	V(r.outputLen, "hash.outputLen"), V(r.blockLen, "hash.blockLen"), t = ds(t), t.length > 255 && (t = r(B(Va("H2C-OVERSIZE-DST-"), t)));
	let { outputLen: i, blockLen: a } = r, o = Math.ceil(n / i);
	if (n > 65535 || o > 255) throw Error("expand_message_xmd: invalid lenInBytes");
	let s = B(t, ls(t.length, 1)), c = new Uint8Array(a), l = ls(n, 2), u = Array(o), d = r(B(c, e, l, ls(0, 1), s));
	u[0] = r(B(d, ls(1, 1), s));
	for (let e = 1; e < o; e++) {
		let t = [
			us(d, u[e - 1]),
			ls(e + 1, 1),
			s
		];
		u[e] = r(B(...t));
	}
	return B(...u).slice(0, n);
}
function ps(e, t, n, r, i) {
	if (z(e), V(n), V(r, "k"), r < 0) throw Error("expand_message_xof: invalid k");
	if (typeof i != "function") throw Error("expand_message_xof: expected XOF function");
	if (typeof i.create != "function") throw Error("expand_message_xof: expected XOF create");
	if (t = ds(t), n < 0 || n > 65535) throw Error("expand_message_xof: invalid lenInBytes");
	if (t.length > 255) {
		let e = Math.ceil(2 * r / 8);
		t = i.create({ dkLen: e }).update(Va("H2C-OVERSIZE-DST-")).update(t).digest();
	}
	if (t.length > 255) throw Error("expand_message_xof: invalid DST");
	return i.create({ dkLen: n }).update(e).update(ls(n, 2)).update(t).update(ls(t.length, 1)).digest();
}
function ms(e, t, n) {
	Ya(n, {
		p: "bigint",
		m: "number",
		k: "number",
		hash: "function"
	});
	let { p: r, k: i, m: a, hash: o, expand: s, DST: c } = n;
	if (V(o.outputLen, "valid hash"), z(e), V(t), V(a, "m"), V(i, "k"), r <= BigInt(1)) throw Error("hash_to_field: expected valid field characteristic");
	if (t < 1) throw Error("hash_to_field: expected count >= 1");
	if (a < 1) throw Error("hash_to_field: expected m >= 1");
	if (i < 0) throw Error("hash_to_field: invalid k");
	let l = r.toString(2).length, u = Math.ceil((l + i) / 8), d = t * a * u, f;
	if (s === "xmd") f = fs(e, c, d, o);
	else if (s === "xof") f = ps(e, c, d, i, o);
	else if (s === "_internal_pass") f = e;
	else throw Error("expand must be \"xmd\" or \"xof\"");
	let p = Array(t);
	for (let e = 0; e < t; e++) {
		let t = Array(a);
		for (let n = 0; n < a; n++) {
			let i = u * (n + e * a), o = f.subarray(i, i + u);
			t[n] = W(cs(o), r);
		}
		p[e] = t;
	}
	return p;
}
function hs(e, t) {
	bo(e), ba(t, "map");
	let n = t.map((e, t) => {
		if (ba(e, "map[" + t + "]"), e.length < 1) throw Error("isogenyMap: expected non-empty coefficients");
		return Array.from(e).reverse();
	});
	return (t, r) => {
		let [i, a, o, s] = n.map((n) => n.reduce((n, r) => e.add(e.mul(n, t), r))), c = e.is0(a) || e.is0(s), [l, u] = So(e, [a, s], !0);
		return t = e.mul(i, l), r = e.mul(r, e.mul(o, u)), c ? {
			x: e.ZERO,
			y: e.ZERO
		} : {
			x: t,
			y: r
		};
	};
}
var gs = "HashToScalar-";
function _s(e, t, n) {
	if (typeof t != "function") throw Error("mapToCurve() must be defined");
	Ya(n);
	let r = (e) => Object.freeze({
		...e,
		DST: Da(e.DST) ? Ba(e.DST) : e.DST,
		...e.encodeDST === void 0 ? {} : { encodeDST: Da(e.encodeDST) ? Ba(e.encodeDST) : e.encodeDST }
	}), i = r(n), a = (e) => e && e.DST !== void 0 ? { DST: e.DST } : void 0;
	function o(n) {
		return e.fromAffine(t(n));
	}
	function s(t) {
		let n = t.clearCofactor();
		return n.equals(e.ZERO) ? e.ZERO : (n.assertValidity(), n);
	}
	return Object.freeze({
		get defaults() {
			return r(i);
		},
		Point: e,
		hashToCurve(e, t) {
			let n = ms(e, 2, Object.assign({}, i, a(t))), r = o(n[0]), c = o(n[1]);
			return s(r.add(c));
		},
		encodeToCurve(e, t) {
			let n = i.encodeDST === void 0 ? {} : { DST: i.encodeDST };
			return s(o(ms(e, 1, Object.assign({}, i, n, a(t)))[0]));
		},
		mapToCurve(e) {
			if (i.m === 1) {
				if (typeof e != "bigint") throw Error("expected bigint (m=1)");
				return s(o([e]));
			}
			if (!Array.isArray(e)) throw Error("expected array of bigints");
			if (e.length !== i.m) throw Error(`expected array of ${i.m} bigints`);
			for (let t of e) if (typeof t != "bigint") throw Error("expected array of bigints");
			return s(o(e));
		},
		hashToScalar(t, n) {
			let r = e.Fn.ORDER;
			return ms(t, 1, Object.assign({}, i, { DST: gs }, a(n), {
				p: r,
				m: 1
			}))[0][0];
		}
	});
}
function vs(e, t) {
	let n = bo(e), r = n.ORDER, i = rs;
	for (let e = r - is; e % as === rs; e /= as) i += is;
	let a = i, o = as << a - is - is, s = o * as, c = (r - is) / s, l = (c - is) / as, u = s - is, d = o, f = n.pow(t, c), p = n.pow(t, (c + is) / as), m = (e, t) => {
		let r = f, i = n.pow(t, u), o = n.sqr(i);
		o = n.mul(o, t);
		let s = n.mul(e, o);
		s = n.pow(s, l), s = n.mul(s, i), i = n.mul(s, t), o = n.mul(s, e);
		let c = n.mul(o, i);
		s = n.pow(c, d);
		let m = n.eql(s, n.ONE);
		i = n.mul(o, p), s = n.mul(c, r), o = n.cmov(i, o, m), c = n.cmov(s, c, m);
		for (let e = a; e > is; e--) {
			let t = e - as;
			t = as << t - is;
			let a = n.pow(c, t), s = n.eql(a, n.ONE);
			i = n.mul(o, r), r = n.mul(r, r), a = n.mul(c, r), o = n.cmov(i, o, s), c = n.cmov(a, c, s);
		}
		return {
			isValid: !n.is0(t) && (m || n.is0(e)),
			value: o
		};
	};
	if (n.ORDER % ss === os) {
		let e = (n.ORDER - os) / ss, r = n.sqrt(n.neg(t));
		m = (t, i) => {
			let a = n.sqr(i), o = n.mul(t, i);
			a = n.mul(a, o);
			let s = n.pow(a, e);
			s = n.mul(s, o);
			let c = n.mul(s, r), l = n.mul(n.sqr(s), i), u = n.eql(l, t), d = n.cmov(c, s, u);
			return {
				isValid: !n.is0(i) && u,
				value: d
			};
		};
	}
	return m;
}
function ys(e, t) {
	let n = bo(e);
	Ya(t, {}, {}, "opts");
	let { A: r, B: i, Z: a } = t;
	if (!n.isValidNot0(r) || !n.isValidNot0(i) || !n.isValid(a) || n.eql(a, n.neg(n.ONE)) || wo(n, a)) throw Error("mapToCurveSimpleSWU: invalid opts");
	let o = n.mul(i, n.inv(n.mul(a, r)));
	if (!wo(n, n.add(n.add(n.mul(n.sqr(o), o), n.mul(r, o)), i))) throw Error("mapToCurveSimpleSWU: invalid opts");
	let s = vs(n, a);
	if (!n.isOdd) throw Error("Field does not have .isOdd()");
	return (e) => {
		let t, o, c, l, u, d, f, p;
		t = n.sqr(e), t = n.mul(t, a), o = n.sqr(t), o = n.add(o, t), c = n.add(o, n.ONE), c = n.mul(c, i), l = n.cmov(a, n.neg(o), !n.eql(o, n.ZERO)), l = n.mul(l, r), o = n.sqr(c), d = n.sqr(l), u = n.mul(d, r), o = n.add(o, u), o = n.mul(o, c), d = n.mul(d, l), u = n.mul(d, i), o = n.add(o, u), f = n.mul(t, c);
		let { isValid: m, value: h } = s(o, d);
		p = n.mul(t, e), p = n.mul(p, h), f = n.cmov(f, c, m), p = n.cmov(p, h, m);
		let g = n.isOdd(e) === n.isOdd(p);
		p = n.cmov(n.neg(p), p, g);
		let _ = So(n, [l], !0)[0];
		return f = n.mul(f, _), {
			x: f,
			y: p
		};
	};
}
// node_modules/@noble/hashes/hmac.js
var bs = class {
	oHash;
	iHash;
	blockLen;
	outputLen;
	canXOF = !1;
	finished = !1;
	destroyed = !1;
	constructor(e, t) {
		if (me(e), pe(t, void 0, "key"), this.iHash = e.create(), typeof this.iHash.update != "function") throw Error("expected Hash instance");
		this.blockLen = this.iHash.blockLen, this.outputLen = this.iHash.outputLen;
		let n = this.blockLen, r = new Uint8Array(n);
		r.set(t.length > n ? e.create().update(t).digest() : t);
		for (let e = 0; e < r.length; e++) r[e] ^= 54;
		this.iHash.update(r), this.oHash = e.create();
		for (let e = 0; e < r.length; e++) r[e] ^= 106;
		this.oHash.update(r), ye(r);
	}
	update(e) {
		return _e(this), this.iHash.update(e), this;
	}
	digestInto(e) {
		_e(this), ve(e, this), this.finished = !0;
		let t = e.subarray(0, this.outputLen);
		this.iHash.digestInto(t), this.oHash.update(t), this.oHash.digestInto(t), this.destroy();
	}
	digest() {
		let e = new Uint8Array(this.oHash.outputLen);
		return this.digestInto(e), e;
	}
	_cloneInto(e) {
		e ||= Object.create(Object.getPrototypeOf(this), {});
		let { oHash: t, iHash: n, finished: r, destroyed: i, blockLen: a, outputLen: o, canXOF: s } = this;
		return e = e, e.finished = r, e.destroyed = i, e.blockLen = a, e.outputLen = o, e.canXOF = s, e.oHash = t._cloneInto(e.oHash), e.iHash = n._cloneInto(e.iHash), e;
	}
	clone() {
		return this._cloneInto();
	}
	destroy() {
		this.destroyed = !0, this.oHash.destroy(), this.iHash.destroy();
	}
}, xs = /* @__PURE__ */ (() => {
	let e = ((e, t, n) => new bs(e, t).update(n).digest());
	return e.create = (e, t) => new bs(e, t), e;
})(), Ss = /* @__PURE__ */ BigInt(0), Cs = {
	Err: class extends Error {
		constructor(e = "") {
			super(e);
		}
	},
	_tlv: {
		encode: (e, t) => {
			let { Err: n } = Cs;
			if (V(e, "tag"), e < 0 || e > 255) throw new n("tlv.encode: wrong tag");
			if (Sa(t, "data"), t.length & 1) throw new n("tlv.encode: unpadded data");
			let r = t.length / 2, i = Pa(r);
			if (i.length / 2 & 128) throw new n("tlv.encode: long form length too big");
			let a = r > 127 ? Pa(i.length / 2 | 128) : "";
			return Pa(e) + a + i + t;
		},
		decode(e, t) {
			let { Err: n } = Cs;
			t = z(t, void 0, "DER data");
			let r = 0;
			if (e < 0 || e > 255) throw new n("tlv.decode: wrong tag");
			if (t.length < 2 || t[r++] !== e) throw new n("tlv.decode: wrong tlv");
			let i = t[r++], a = !!(i & 128), o = 0;
			if (!a) o = i;
			else {
				let e = i & 127;
				if (!e) throw new n("tlv.decode(long): indefinite length not supported");
				if (e > 4) throw new n("tlv.decode(long): byte length is too big");
				let a = t.subarray(r, r + e);
				if (a.length !== e) throw new n("tlv.decode: length bytes not complete");
				if (a[0] === 0) throw new n("tlv.decode(long): zero leftmost byte");
				for (let e of a) o = o << 8 | e;
				if (r += e, o < 128) throw new n("tlv.decode(long): not minimal encoding");
			}
			let s = t.subarray(r, r + o);
			if (s.length !== o) throw new n("tlv.decode: wrong value length");
			return {
				v: s,
				l: t.subarray(r + o)
			};
		}
	},
	_int: {
		encode(e) {
			let { Err: t } = Cs;
			if (Na(e), e < Ss) throw new t("integer: negative integers are not allowed");
			let n = Pa(e);
			if (Number.parseInt(n[0], 16) & 8 && (n = "00" + n), n.length & 1) throw new t("unexpected DER parsing assertion: unpadded hex");
			return n;
		},
		decode(e) {
			let { Err: t } = Cs;
			if (e.length < 1) throw new t("invalid signature integer: empty");
			if (e[0] & 128) throw new t("invalid signature integer: negative");
			if (e.length > 1 && e[0] === 0 && !(e[1] & 128)) throw new t("invalid signature integer: unnecessary leading zero");
			return Ia(e);
		}
	},
	toSig(e, t) {
		let { Err: n, _int: r, _tlv: i } = Cs;
		if (t !== void 0 && (V(t, "maxScalarBytes"), t < 1)) throw new n("invalid signature: maxScalarBytes must be positive");
		let a = z(e, void 0, "signature"), { v: o, l: s } = i.decode(48, a);
		if (s.length) throw new n("invalid signature: left bytes after parsing");
		let { v: c, l } = i.decode(2, o), { v: u, l: d } = i.decode(2, l);
		if (d.length) throw new n("invalid signature: left bytes after parsing");
		if (t !== void 0 && (c.length > t || u.length > t)) throw new n("invalid signature: integer too large");
		return {
			r: r.decode(c),
			s: r.decode(u)
		};
	},
	hexFromSig(e) {
		let { _tlv: t, _int: n } = Cs;
		Ya(e, {
			r: "bigint",
			s: "bigint"
		}, {}, "sig");
		let r = t.encode(2, n.encode(e.r)) + t.encode(2, n.encode(e.s));
		return t.encode(48, r);
	}
}, ws = (Object.freeze(Cs._tlv), Object.freeze(Cs._int), Object.freeze(Cs)), Ts = (e, t) => (e + (e >= 0 ? t : -t) / js) / t;
function Es(e, t, n) {
	Wa("scalar", e, ks, n);
	let [[r, i], [a, o]] = t, s = Ts(o * e, n), c = Ts(-i * e, n), l = e - s * r - c * a, u = -s * i - c * o, d = l < ks, f = u < ks;
	d && (l = -l), f && (u = -u);
	let p = qa(Math.ceil(Ga(n) / 2)) + As;
	if (l < ks || l >= p || u < ks || u >= p) throw Error("splitScalar (endomorphism): failed for k");
	return {
		k1neg: d,
		k1: l,
		k2neg: f,
		k2: u
	};
}
function Ds(e) {
	if (![
		"compact",
		"recovered",
		"der"
	].includes(e)) throw Error("Signature format must be \"compact\", \"recovered\", or \"der\"");
	return e;
}
function Os(e, t) {
	Ya(e);
	let n = {};
	for (let r of Object.keys(t)) n[r] = e[r] === void 0 ? t[r] : e[r];
	return Ma(n.lowS, "lowS"), Ma(n.prehash, "prehash"), n.format !== void 0 && Ds(n.format), n;
}
var ks = /* @__PURE__ */ BigInt(0), As = /* @__PURE__ */ BigInt(1), js = /* @__PURE__ */ BigInt(2), Ms = /* @__PURE__ */ BigInt(3), Ns = /* @__PURE__ */ BigInt(4);
function Ps(e, t = {}) {
	let n = ts("weierstrass", e, t), r = n.Fp, i = n.Fn, a = n.CURVE, { h: o, n: s } = a;
	Ya(t, {}, {
		allowInfinityPoint: "boolean",
		clearCofactor: "function",
		isTorsionFree: "function",
		fromBytes: "function",
		toBytes: "function",
		endo: "object",
		randomBytes: "function"
	});
	let { endo: c, allowInfinityPoint: l, clearCofactor: u, isTorsionFree: d, fromBytes: f, toBytes: p } = t, m = t.randomBytes === void 0 ? Oa : t.randomBytes;
	if (c && (!r.is0(a.a) || typeof c.beta != "bigint" || !Array.isArray(c.basises))) throw Error("invalid endo: expected \"beta\": bigint and \"basises\": array");
	let h = c ? {
		beta: c.beta,
		basises: c.basises.map((e) => [...e])
	} : void 0, g = Is(r, i);
	function _() {
		if (!r.isOdd) throw Error("compression is not supported: Field does not have .isOdd()");
	}
	function v(e, t, n) {
		if (t.is0()) {
			if (!l) throw Error("bad point: ZERO");
			return Uint8Array.of(0);
		}
		let { x: i, y: a } = t.toAffine(), o = r.toBytes(i);
		return Ma(n, "isCompressed"), n ? (_(), B(Fs(!r.isOdd(a)), o)) : B(Uint8Array.of(4), o, r.toBytes(a));
	}
	function y(e) {
		z(e, void 0, "Point");
		let { publicKey: t, publicKeyUncompressed: n } = g, i = e.length, a = e[0], o = e.subarray(1);
		if (l && i === 1 && a === 0) return {
			x: r.ZERO,
			y: r.ZERO
		};
		if (i === t && (a === 2 || a === 3)) {
			let e = r.fromBytes(o);
			if (!r.isValid(e)) throw Error("bad point: is not on curve, wrong x");
			let t = ne(e), n;
			try {
				n = r.sqrt(t);
			} catch (e) {
				let t = e instanceof Error ? ": " + e.message : "";
				throw Error("bad point: is not on curve, sqrt error" + t);
			}
			_();
			let i = r.isOdd(n);
			return (a & 1) == 1 !== i && (n = r.neg(n)), {
				x: e,
				y: n
			};
		}
		if (i === n && a === 4) {
			let e = r.BYTES, t = r.fromBytes(o.subarray(0, e)), n = r.fromBytes(o.subarray(e, e * 2));
			if (!S(t, n)) throw Error("bad point: is not on curve");
			return {
				x: t,
				y: n
			};
		}
		throw Error(`bad point: got length ${i}, expected compressed=${t} or uncompressed=${n}`);
	}
	let b = p === void 0 ? v : p, ee = f === void 0 ? y : f, x = r.mul(a.b, Ms), te = r.is0(a.a) ? (e) => r.ZERO : (e) => r.mul(a.a, e);
	function ne(e) {
		let t = r.sqr(e), n = r.mul(t, e);
		return r.add(r.add(n, r.mul(e, a.a)), a.b);
	}
	function S(e, t) {
		let n = r.sqr(t), i = ne(e);
		return r.eql(n, i);
	}
	if (!S(a.Gx, a.Gy)) throw Error("bad curve params: generator point");
	let C = r.mul(r.pow(a.a, Ms), Ns), re = r.mul(r.sqr(a.b), BigInt(27));
	if (r.is0(r.add(C, re))) throw Error("bad curve params: a or b");
	function ie(e, t, n = !1) {
		if (!r.isValid(t) || n && r.is0(t)) throw Error(`bad point coordinate ${e}`);
		return typeof t == "object" && t ? r.create(t) : t;
	}
	function w(e) {
		if (!(e instanceof T)) throw Error("Weierstrass Point expected");
	}
	function ae(e) {
		if (!h || !h.basises) throw Error("no endo");
		return Es(e, h.basises, i.ORDER);
	}
	function oe(e, t, n, a) {
		if (!i.isValid(a)) throw RangeError("invalid scalar: out of range");
		if (h) {
			let { k1neg: i, k1: o, k2neg: s, k2: c } = ae(a), l = new T(r.mul(n.X, h.beta), n.Y, n.Z);
			e.push(i ? n.negate() : n, s ? l.negate() : l), t.push(o, c);
		} else e.push(n), t.push(a);
	}
	let se = /* @__PURE__ */ new WeakSet();
	class T {
		static BASE = new T(a.Gx, a.Gy, r.ONE);
		static ZERO = new T(r.ZERO, r.ONE, r.ZERO);
		static Fp = r;
		static Fn = i;
		X;
		Y;
		Z;
		constructor(e, t, n) {
			this.X = ie("x", e), this.Y = ie("y", t, !0), this.Z = ie("z", n), Object.freeze(this);
		}
		static CURVE() {
			return a;
		}
		static fromAffine(e) {
			let { x: t, y: n } = e || {};
			if (!e || !r.isValid(t) || !r.isValid(n)) throw Error("invalid affine point");
			if (e instanceof T) throw Error("projective point not allowed");
			return r.is0(t) && r.is0(n) ? T.ZERO : new T(t, n, r.ONE);
		}
		static fromBytes(e) {
			let t = T.fromAffine(ee(z(e, void 0, "point")));
			return t.assertValidity(), t;
		}
		static fromHex(e) {
			return T.fromBytes(Ea(e));
		}
		get x() {
			return this.toAffine().x;
		}
		get y() {
			return this.toAffine().y;
		}
		precompute(e = 6, t = !0) {
			return le.setWindowSize(this, e), t || this.multiply(Ms), this;
		}
		assertValidity() {
			let e = this;
			if (e.is0()) {
				if (l && r.is0(e.X) && r.eql(e.Y, r.ONE) && r.is0(e.Z)) return;
				throw Error("bad point: ZERO");
			}
			if (se.has(e)) return;
			let { x: t, y: n } = e.toAffine();
			if (!r.isValid(t) || !r.isValid(n)) throw Error("bad point: x or y not field elements");
			if (!S(t, n)) throw Error("bad point: equation left != right");
			if (!e.isTorsionFree()) throw Error("bad point: not in prime-order subgroup");
			se.add(e);
		}
		hasEvenY() {
			let { y: e } = this.toAffine();
			if (!r.isOdd) throw Error("Field doesn't support isOdd");
			return !r.isOdd(e);
		}
		equals(e) {
			w(e);
			let { X: t, Y: n, Z: i } = this, { X: a, Y: o, Z: s } = e, c = r.eql(r.mul(t, s), r.mul(a, i)), l = r.eql(r.mul(n, s), r.mul(o, i));
			return c && l;
		}
		negate() {
			return new T(this.X, r.neg(this.Y), this.Z);
		}
		double() {
			let { X: e, Y: t, Z: n } = this, i = r.ZERO, a = r.ZERO, o = r.ZERO, s = r.mul(e, e), c = r.mul(t, t), l = r.mul(n, n), u = r.mul(e, t);
			return u = r.add(u, u), o = r.mul(e, n), o = r.add(o, o), i = te(o), a = r.mul(x, l), a = r.add(i, a), i = r.sub(c, a), a = r.add(c, a), a = r.mul(i, a), i = r.mul(u, i), o = r.mul(x, o), l = te(l), u = r.sub(s, l), u = te(u), u = r.add(u, o), o = r.add(s, s), s = r.add(o, s), s = r.add(s, l), s = r.mul(s, u), a = r.add(a, s), l = r.mul(t, n), l = r.add(l, l), s = r.mul(l, u), i = r.sub(i, s), o = r.mul(l, c), o = r.add(o, o), o = r.add(o, o), new T(i, a, o);
		}
		add(e) {
			w(e);
			let { X: t, Y: n, Z: i } = this, { X: a, Y: o, Z: s } = e, c = r.ZERO, l = r.ZERO, u = r.ZERO, d = r.mul(t, a), f = r.mul(n, o), p = r.mul(i, s), m = r.add(t, n), h = r.add(a, o);
			m = r.mul(m, h), h = r.add(d, f), m = r.sub(m, h), h = r.add(t, i);
			let g = r.add(a, s);
			return h = r.mul(h, g), g = r.add(d, p), h = r.sub(h, g), g = r.add(n, i), c = r.add(o, s), g = r.mul(g, c), c = r.add(f, p), g = r.sub(g, c), u = te(h), c = r.mul(x, p), u = r.add(c, u), c = r.sub(f, u), u = r.add(f, u), l = r.mul(c, u), f = r.add(d, d), f = r.add(f, d), p = te(p), h = r.mul(x, h), f = r.add(f, p), p = r.sub(d, p), p = te(p), h = r.add(h, p), d = r.mul(f, h), l = r.add(l, d), d = r.mul(g, h), c = r.mul(m, c), c = r.sub(c, d), d = r.mul(m, f), u = r.mul(g, u), u = r.add(u, d), new T(c, l, u);
		}
		subtract(e) {
			return w(e), this.add(e.negate());
		}
		is0() {
			return this.equals(T.ZERO);
		}
		multiply(e) {
			if (!i.isValidNot0(e)) throw RangeError("invalid scalar: out of range");
			let { p: t, f: n } = le.mulSecret(this, e, o, ce);
			return ce([t, n])[0];
		}
		multiplyUnsafe(e) {
			let t = this, n = e;
			if (!i.isValid(n)) throw RangeError("invalid scalar: out of range");
			if (n === ks || t.is0()) return T.ZERO;
			if (n === As) return t;
			if (le.hasWindowSize(this)) return le.mulUnsafe(t, n, ce);
			let r = [], a = [];
			return oe(r, a, t, n), $o(T, r, a);
		}
		mulAddUnsafe(e, t, n) {
			w(t);
			let r = [], i = [];
			return oe(r, i, this, e), oe(r, i, t, n), $o(T, r, i);
		}
		toAffine(e) {
			let t = this, n = e;
			if (n != null && !r.isValid(n)) throw RangeError("\"invertedZ\" expected valid field element");
			let { X: i, Y: a, Z: o } = t;
			if (r.eql(o, r.ONE)) return {
				x: i,
				y: a
			};
			let s = t.is0();
			n ??= s ? r.ONE : r.inv(o);
			let c = r.mul(i, n), l = r.mul(a, n), u = r.mul(o, n);
			if (s) return {
				x: r.ZERO,
				y: r.ZERO
			};
			if (!r.eql(u, r.ONE)) throw Error("invZ was invalid");
			return {
				x: c,
				y: l
			};
		}
		isTorsionFree() {
			return o === As ? !0 : d ? d(T, this) : le.mulUnsafe(this, s).is0();
		}
		clearCofactor() {
			return o === As ? this : u ? u(T, this) : this.multiplyUnsafe(o);
		}
		isSmallOrder() {
			return o === As ? this.is0() : this.clearCofactor().is0();
		}
		toBytes(e = !0) {
			return Ma(e, "isCompressed"), this.assertValidity(), b(T, this, e);
		}
		toHex(e = !0) {
			return Ta(this.toBytes(e));
		}
		toString() {
			return `<Point ${this.is0() ? "ZERO" : this.toHex()}>`;
		}
	}
	let ce = (e) => Bo(T, e), le = new Qo(T, m);
	return le.bits >= 6 && T.BASE.precompute(6), Object.freeze(T.prototype), Object.freeze(T), T;
}
function Fs(e) {
	return Uint8Array.of(e ? 2 : 3);
}
function Is(e, t) {
	return {
		secretKey: t.BYTES,
		publicKey: 1 + e.BYTES,
		publicKeyUncompressed: 1 + 2 * e.BYTES,
		publicKeyHasPrefix: !0,
		signature: 2 * t.BYTES
	};
}
function Ls(e, t = {}) {
	zo(e);
	let { Fn: n } = e, r = t.randomBytes === void 0 ? Oa : t.randomBytes, i = Object.assign(Is(e.Fp, n), { seed: Math.max(Ao(n.ORDER), 16) });
	function a(e) {
		try {
			let t = n.fromBytes(e);
			return n.isValidNot0(t);
		} catch {
			return !1;
		}
	}
	function o(t, n) {
		let { publicKey: r, publicKeyUncompressed: a } = i;
		try {
			let i = t.length;
			return n === !0 && i !== r || n === !1 && i !== a ? !1 : !e.fromBytes(t).is0();
		} catch {
			return !1;
		}
	}
	function s(e) {
		return e = e === void 0 ? r(i.seed) : e, jo(z(e, i.seed, "seed"), n.ORDER);
	}
	function c(t, r = !0) {
		return e.BASE.multiply(n.fromBytes(t)).toBytes(r);
	}
	function l(e) {
		let { secretKey: t, publicKey: r, publicKeyUncompressed: a } = i, o = n._lengths;
		if (!Da(e)) return;
		let s = z(e, void 0, "key").length, c = s === r || s === a, l = s === t || !!o?.includes(s);
		if (!(c && l)) return c;
	}
	function u(t, r, i = !0) {
		if (l(t) === !0) throw Error("first arg must be private key");
		if (l(r) === !1) throw Error("second arg must be public key");
		let a = n.fromBytes(t), o = e.fromBytes(r);
		if (o.is0()) throw Error("invalid public key: point at infinity");
		return o.multiply(a).toBytes(i);
	}
	let d = {
		isValidSecretKey: a,
		isValidPublicKey: o,
		randomSecretKey: s
	}, f = ns(s, c);
	return Object.freeze(d), Object.freeze(i), Object.freeze({
		getPublicKey: c,
		getSharedSecret: u,
		keygen: f,
		Point: e,
		utils: d,
		lengths: i
	});
}
function Rs(e, t, n = {}) {
	zo(e);
	let r = t;
	me(r), Ya(n, {}, {
		hmac: "function",
		lowS: "boolean",
		randomBytes: "function",
		bits2int: "function",
		bits2int_modN: "function"
	});
	let i = Object.assign({}, n), a = i.randomBytes === void 0 ? Oa : i.randomBytes, o = i.hmac === void 0 ? (e, t) => xs(r, e, t) : i.hmac, { Fp: s, Fn: c } = e, { ORDER: l, BITS: u } = c, d = Ao(l), f = Uo(a, d), { keygen: p, getPublicKey: m, getSharedSecret: h, utils: g, lengths: _ } = Ls(e, i), v = {
		prehash: !0,
		lowS: typeof i.lowS != "boolean" || i.lowS,
		format: "compact",
		extraEntropy: !1
	}, y = l * js + As < s.ORDER;
	function b(e) {
		return e > l >> As;
	}
	function ee(e, t) {
		if (!c.isValidNot0(t)) throw Error(`invalid signature ${e}: out of range 1..Point.Fn.ORDER`);
		return t;
	}
	function x() {
		if (!s.isOdd) throw Error("Field doesn't support isOdd");
	}
	function te(e, t, n) {
		return x(), (e === n ? 0 : 2) | Number(s.isOdd(t));
	}
	function ne() {
		if (y) throw Error("\"recovered\" sig type is not supported for cofactor >2 curves");
	}
	function S(e, t) {
		Ds(t);
		let n = _.signature;
		return z(e, t === "compact" ? n : t === "recovered" ? n + 1 : void 0);
	}
	class C {
		r;
		s;
		recovery;
		constructor(e, t, n) {
			if (this.r = ee("r", e), this.s = ee("s", t), n != null) {
				if (ne(), ![
					0,
					1,
					2,
					3
				].includes(n)) throw Error("invalid recovery id");
				this.recovery = n;
			}
			Object.freeze(this);
		}
		static fromBytes(e, t = v.format) {
			S(e, t);
			let n;
			if (t === "der") {
				if (e.length > 2 * c.BYTES + 16) throw new ws.Err("invalid signature: DER signature too long");
				let { r: t, s: n } = ws.toSig(z(e), c.BYTES + 1);
				return new C(t, n);
			}
			t === "recovered" && (n = e[0], t = "compact", e = e.subarray(1));
			let r = _.signature / 2, i = e.subarray(0, r), a = e.subarray(r, r * 2);
			return new C(c.fromBytes(i), c.fromBytes(a), n);
		}
		static fromHex(e, t) {
			return this.fromBytes(Ea(e), t);
		}
		assertRecovery() {
			let { recovery: e } = this;
			if (e == null) throw Error("invalid recovery id: must be present");
			return e;
		}
		addRecoveryBit(e) {
			return new C(this.r, this.s, e);
		}
		recoverPublicKey(t) {
			let { r: n, s: r } = this, i = this.assertRecovery(), a = i === 2 || i === 3 ? n + l : n;
			if (!s.isValid(a)) throw Error("invalid recovery id: sig.r+curve.n != R.x");
			let o = s.toBytes(a), u = e.fromBytes(B(Fs(!(i & 1)), o)), d = c.inv(a), f = ie(z(t, void 0, "msgHash")), p = c.create(-f * d), m = c.create(r * d), h = e.BASE.mulAddUnsafe(p, u, m);
			if (h.is0()) throw Error("invalid recovery: point at infinify");
			return h.assertValidity(), h;
		}
		hasHighS() {
			return b(this.s);
		}
		toBytes(e = v.format) {
			if (Ds(e), e === "der") return Ea(ws.hexFromSig(this));
			let { r: t, s: n } = this, r = c.toBytes(t), i = c.toBytes(n);
			return e === "recovered" ? (ne(), B(Uint8Array.of(this.assertRecovery()), r, i)) : B(r, i);
		}
		toHex(e) {
			return Ta(this.toBytes(e));
		}
	}
	Object.freeze(C.prototype), Object.freeze(C);
	let re = i.bits2int === void 0 ? function(e) {
		if (e.length > 8192) throw Error("input is too large");
		let t = Ia(e), n = e.length * 8 - u;
		return n > 0 ? t >> BigInt(n) : t;
	} : i.bits2int, ie = i.bits2int_modN === void 0 ? function(e) {
		return c.create(re(e));
	} : i.bits2int_modN, w = qa(u);
	function ae(e) {
		return Wa("num < 2^" + u, e, ks, w), c.toBytes(e);
	}
	function oe(e, t) {
		return z(e, void 0, "message"), t ? z(r(e), void 0, "prehashed message") : e;
	}
	function se(t, n, r) {
		let { lowS: i, prehash: o, extraEntropy: s } = Os(r, v);
		t = oe(t, o);
		let u = ie(t), p = c.fromBytes(n);
		if (!c.isValidNot0(p)) throw Error("invalid private key");
		let m = [ae(p), ae(u)];
		if (s != null && s !== !1) {
			let e = s === !0 ? a(_.secretKey) : s;
			m.push(z(e, void 0, "extraEntropy"));
		}
		let h = B(...m), g = u;
		function ee(t) {
			let n = re(t);
			if (!c.isValidNot0(n)) return;
			let r = e.BASE.multiply(n).toAffine(), a = c.create(r.x);
			if (a === ks) return;
			let o;
			if (f !== void 0) {
				let e = Ia(jo(f(d), l)), t = c.inv(c.mul(e, n)), r = c.mul(e, g), i = c.mul(e, p);
				o = c.create(t * c.create(r + i * a));
			} else {
				let e = lo(n, l);
				o = c.create(e * c.create(g + a * p));
			}
			if (o === ks) return;
			let s = te(r.x, r.y, a), u = o;
			return i && b(o) && (u = c.neg(o), s ^= 1), new C(a, u, y ? void 0 : s);
		}
		return {
			seed: h,
			k2sig: ee
		};
	}
	function T(e, t, n = {}) {
		let { seed: i, k2sig: a } = se(e, t, n);
		return Ja(r.outputLen, c.BYTES, o)(i, a).toBytes(n.format);
	}
	function ce(t, n, r, i = {}) {
		let { lowS: a, prehash: o, format: s } = Os(i, v);
		if (r = z(r, void 0, "publicKey"), n = oe(n, o), !Da(t)) {
			let e = t instanceof C ? ", use sig.toBytes()" : "";
			throw Error("verify expects Uint8Array signature" + e);
		}
		S(t, s);
		try {
			let i = C.fromBytes(t, s), o = e.fromBytes(r);
			if (o.is0() || a && i.hasHighS()) return !1;
			let { r: l, s: u } = i, d = ie(n), f = c.inv(u), p = c.create(d * f), m = c.create(l * f), h = e.BASE.mulAddUnsafe(p, o, m);
			if (h.is0()) return !1;
			let g = h.toAffine();
			return !(c.create(g.x) !== l || s === "recovered" && i.recovery !== te(g.x, g.y, l));
		} catch {
			return !1;
		}
	}
	function le(e, t, n = {}) {
		let { prehash: r } = Os(n, v);
		return t = oe(t, r), C.fromBytes(e, "recovered").recoverPublicKey(t).toBytes();
	}
	return Object.freeze({
		keygen: p,
		getPublicKey: m,
		getSharedSecret: h,
		utils: g,
		lengths: _,
		Point: e,
		sign: T,
		verify: ce,
		recoverPublicKey: le,
		Signature: C,
		hash: r
	});
}
// node_modules/@noble/curves/abstract/bls.js
var zs = BigInt(0), Bs = BigInt(1), Vs = BigInt(2), Hs = BigInt(3);
function Us(e) {
	let t = [];
	for (; e > Bs; e >>= Bs) (e & Bs) === zs ? t.unshift(0) : (e & Hs) === Hs ? (t.unshift(-1), e += Bs) : t.unshift(1);
	return t;
}
function Ws(e) {
	if (!Array.isArray(e) || e.length === 0) throw Error("expected non-empty array");
}
function Gs(e, t, n, r) {
	if (Ya(e, {
		Fp: "object",
		Fr: "object",
		Fp2: "object",
		Fp12: "object"
	}, { Fp6: "object" }, "fields"), typeof t != "function") throw TypeError("\"G1_Point\" expected point constructor, got type=" + typeof t);
	if (typeof n != "function") throw TypeError("\"G2_Point\" expected point constructor, got type=" + typeof n);
	Ya(r, {
		ateLoopSize: "bigint",
		xNegative: "boolean",
		twistType: "string"
	}, {
		randomBytes: "function",
		postPrecompute: "function"
	}, "params");
	let { Fp: i, Fr: a, Fp2: o, Fp12: s } = e, { twistType: c, ateLoopSize: l, xNegative: u, postPrecompute: d } = r, f = (e, t) => ({
		c0: e,
		c1: t
	}), p = ({ c0: e, c1: t }) => Object.freeze({
		c0: e,
		c1: t
	}), m = (e, t) => f(i.add(e.c0, t.c0), i.add(e.c1, t.c1)), h = (e, t) => f(i.sub(e.c0, t.c0), i.sub(e.c1, t.c1)), g = (e, t) => {
		let n = i.mul(e.c0, t.c0), r = i.mul(e.c1, t.c1);
		return f(i.sub(n, r), i.sub(i.mul(i.add(e.c0, e.c1), i.add(t.c0, t.c1)), i.add(n, r)));
	}, _ = (e, t) => f(i.mul(e.c0, t), i.mul(e.c1, t)), v = (e) => o.mulByNonresidue(e), y = ({ c0: e, c1: t }, n, r, i, a, o) => {
		let s = _(r, a), c = _(i, o), { c0: l, c1: u, c2: d } = e, { c0: f, c1: y, c2: b } = t, ee = g(l, n), x = g(u, s), te = m(v(h(g(m(u, d), s), x)), ee), ne = h(h(g(m(n, s), m(l, u)), ee), x), S = m(h(g(m(l, d), n), ee), x), C = v(g(b, c)), re = g(f, c), ie = g(y, c), w = m(l, f), ae = m(u, y), oe = m(d, b), se = m(s, c), T = g(w, n), ce = g(ae, se), le = m(v(h(g(m(ae, oe), se), ce)), T), ue = h(h(g(m(n, se), m(w, ae)), T), ce), de = m(h(g(m(w, oe), n), T), ce);
		return Object.freeze({
			c0: Object.freeze({
				c0: p(m(v(ie), te)),
				c1: p(m(C, ne)),
				c2: p(m(re, S))
			}),
			c1: Object.freeze({
				c0: p(h(h(le, te), C)),
				c1: p(h(h(ue, ne), re)),
				c2: p(h(h(de, S), ie))
			})
		});
	}, b = ({ c0: e, c1: t }, n, r, i, a, o) => {
		let s = _(n, o), c = _(r, a), { c0: l, c1: u, c2: d } = e, { c0: f, c1: y, c2: b } = t, ee = g(l, s), x = g(u, s), te = g(d, s), ne = g(f, c), S = g(y, i), C = m(v(h(g(m(y, b), i), S)), ne), re = h(h(g(m(c, i), m(f, y)), ne), S), ie = m(h(g(m(f, b), c), ne), S), w = m(l, f), ae = m(u, y), oe = m(d, b), se = m(s, c), T = g(w, se), ce = g(ae, i), le = m(v(h(g(m(ae, oe), i), ce)), T), ue = h(h(g(m(se, i), m(w, ae)), T), ce), de = m(h(g(m(w, oe), se), T), ce);
		return Object.freeze({
			c0: Object.freeze({
				c0: p(m(v(ie), ee)),
				c1: p(m(C, x)),
				c2: p(m(re, te))
			}),
			c1: Object.freeze({
				c0: p(h(h(le, ee), C)),
				c1: p(h(h(ue, x), re)),
				c2: p(h(h(de, te), ie))
			})
		});
	}, ee;
	if (c === "multiplicative") ee = (e, t, n, r, i, a) => y(r, e, t, n, i, a);
	else if (c === "divisive") ee = (e, t, n, r, i, a) => b(r, n, t, e, i, a);
	else throw Error("bls: unknown twist type");
	let x = o.div(o.ONE, o.mul(o.ONE, Vs));
	function te(e, t, n, r) {
		let i = o.sqr(n), a = o.sqr(r), s = o.mulByB(o.mul(a, Hs)), c = o.mul(s, Hs), l = o.sub(o.sub(o.sqr(o.add(n, r)), a), i), u = o.sub(s, i), d = o.mul(o.sqr(t), Hs), f = o.neg(l);
		return e.push([
			u,
			d,
			f
		]), t = o.mul(o.mul(o.mul(o.sub(i, c), t), n), x), n = o.sub(o.sqr(o.mul(o.add(i, c), x)), o.mul(o.sqr(s), Hs)), r = o.mul(i, l), {
			Rx: t,
			Ry: n,
			Rz: r
		};
	}
	function ne(e, t, n, r, i, a) {
		let s = o.sub(n, o.mul(a, r)), c = o.sub(t, o.mul(i, r)), l = o.sub(o.mul(s, i), o.mul(c, a)), u = o.neg(s), d = c;
		e.push([
			l,
			u,
			d
		]);
		let f = o.sqr(c), p = o.mul(f, c), m = o.mul(f, t), h = o.add(o.sub(p, o.mul(m, Vs)), o.mul(o.sqr(s), r));
		return t = o.mul(c, h), n = o.sub(o.mul(o.sub(m, h), s), o.mul(p, n)), r = o.mul(r, p), {
			Rx: t,
			Ry: n,
			Rz: r
		};
	}
	let S = Us(l), C = (e) => {
		if (!(e instanceof n)) throw TypeError("\"point\" expected G2 point, got type=" + typeof e);
		let { x: t, y: r } = e.toAffine(), i = t, a = r, s = o.neg(r), c = i, l = a, u = o.ONE, f = [];
		for (let e of S) {
			let t = [];
			({Rx: c, Ry: l, Rz: u} = te(t, c, l, u)), e && ({Rx: c, Ry: l, Rz: u} = ne(t, c, l, u, i, e === -1 ? s : a)), f.push(t);
		}
		if (d) {
			let e = f[f.length - 1];
			d(c, l, u, i, a, ne.bind(null, e));
		}
		return f;
	};
	function re(e, t = !1) {
		ba(e, "pairs", (e, t) => {
			if (ba(e, t), e.length !== 3) throw TypeError(`"${t}" expected precompute tuple`);
			ba(e[0], t + "[0]");
		});
		let n = s.ONE;
		if (e.length) {
			let t = e[0][0].length;
			for (let r = 0; r < t; r++) {
				r !== 0 && (n = s.sqr(n));
				for (let [t, i, a] of e) for (let [e, o, s] of t[r]) n = ee(e, o, s, n, i, a);
			}
		}
		return u && (n = s.conjugate(n)), t ? s.finalExponentiate(n) : n;
	}
	function ie(e, r = !0) {
		ba(e, "pairs");
		let i = [];
		for (let r = 0; r < e.length; r++) {
			let a = e[r];
			Ya(a, {
				g1: "object",
				g2: "object"
			}, {}, "pairs[" + r + "]");
			let { g1: o, g2: s } = a;
			if (!(o instanceof t)) throw TypeError("\"pairs[" + r + "].g1\" expected G1 point, got type=" + typeof o);
			if (!(s instanceof n)) throw TypeError("\"pairs[" + r + "].g2\" expected G2 point, got type=" + typeof s);
			if (o.is0() || s.is0()) throw Error("pairing is not available for ZERO point");
			o.assertValidity(), s.assertValidity();
			let c = o.toAffine();
			i.push([
				C(s),
				c.x,
				c.y
			]);
		}
		return re(i, r);
	}
	function w(e, r, i = !0) {
		if (!(e instanceof t)) throw TypeError("\"Q\" expected G1 point, got type=" + typeof e);
		if (!(r instanceof n)) throw TypeError("\"P\" expected G2 point, got type=" + typeof r);
		return ie([{
			g1: e,
			g2: r
		}], i);
	}
	let ae = { seed: Ao(a.ORDER) }, oe = r.randomBytes === void 0 ? Oa : r.randomBytes;
	return Object.freeze(ae), {
		lengths: ae,
		Fr: a,
		Fp12: s,
		millerLoopBatch: re,
		pairing: w,
		pairingBatch: ie,
		calcPairingPrecomputes: C,
		randomSecretKey: (e) => (e = e === void 0 ? oe(ae.seed) : e, z(e, ae.seed, "seed"), jo(e, a.ORDER))
	};
}
function Ks(e, t, n, r, i, a) {
	let { Fr: o, Fp12: s, pairingBatch: c, randomSecretKey: l, lengths: u } = e;
	a ||= {
		fromBytes: Xa,
		fromHex: Xa,
		toBytes: Xa,
		toHex: Xa
	};
	let d = Object.freeze({ ...a });
	function f(e) {
		return e instanceof t ? e : t.fromBytes(e);
	}
	function p(e) {
		return e instanceof n ? e : d.fromBytes(e);
	}
	function m(e) {
		if (!(e instanceof n)) throw Error(`expected valid message hashed to ${r ? "G1" : "G2"} curve`);
		return e;
	}
	let h = r ? (e, t) => ({
		g1: t,
		g2: e
	}) : (e, t) => ({
		g1: e,
		g2: t
	});
	return Object.freeze({
		lengths: Object.freeze({
			...u,
			secretKey: o.BYTES
		}),
		keygen(e) {
			let t = l(e);
			return {
				secretKey: t,
				publicKey: this.getPublicKey(t)
			};
		},
		getPublicKey(e) {
			let n;
			try {
				n = t.Fn.fromBytes(e);
			} catch (t) {
				throw Error("invalid private key: " + typeof e, { cause: t });
			}
			return t.BASE.multiply(n);
		},
		sign(e, n, r) {
			if (r != null) throw Error("sign() expects 2 arguments");
			let i = t.Fn.fromBytes(n);
			return m(e).assertValidity(), e.multiply(i);
		},
		verify(e, n, r, i) {
			if (i != null) throw Error("verify() expects 3 arguments");
			e = p(e), r = f(r);
			let a = r.negate(), o = t.BASE, l = m(n), u = e;
			try {
				let e = c([h(a, l), h(o, u)]);
				return s.eql(e, s.ONE);
			} catch {
				return !1;
			}
		},
		verifyBatch(e, n) {
			Ws(n);
			let r = p(e), i = n.map((e) => m(e.message)), a = n.map((e) => f(e.publicKey)), o = /* @__PURE__ */ new Map();
			for (let e = 0; e < a.length; e++) {
				let t = a[e], n = i[e], r = o.get(n);
				r === void 0 && (r = [], o.set(n, r)), r.push(t);
			}
			let l = [], u = t.BASE;
			try {
				for (let [e, t] of o) {
					let n = t.reduce((e, t) => e.add(t));
					l.push(h(n, e));
				}
				return l.push(h(u.negate(), r)), s.eql(c(l), s.ONE);
			} catch {
				return !1;
			}
		},
		aggregatePublicKeys(e) {
			Ws(e), e = e.map((e) => f(e));
			let n = e.reduce((e, t) => e.add(t), t.ZERO);
			return n.assertValidity(), n;
		},
		aggregateSignatures(e) {
			Ws(e), e = e.map((e) => p(e));
			let t = e.reduce((e, t) => e.add(t), n.ZERO);
			return t.assertValidity(), t;
		},
		hash(e, t) {
			return z(e), i(e, t === void 0 ? void 0 : { DST: t });
		},
		Signature: Object.freeze({ ...d })
	});
}
function qs(e, t, n, r) {
	let { Fp: i, Fr: a, Fp2: o, Fp6: s, Fp12: c } = e, l = { Point: t }, u = { Point: n }, { millerLoopBatch: d, pairing: f, pairingBatch: p, calcPairingPrecomputes: m, randomSecretKey: h, lengths: g } = Gs(e, t, n, r);
	return l.Point.BASE.precompute(4), Object.freeze(l), Object.freeze(u), Object.freeze({
		lengths: Object.freeze(g),
		millerLoopBatch: d,
		pairing: f,
		pairingBatch: p,
		G1: l,
		G2: u,
		fields: Object.freeze({
			Fr: a,
			Fp: i,
			Fp2: o,
			Fp6: s,
			Fp12: c
		}),
		params: Object.freeze({
			ateLoopSize: r.ateLoopSize,
			xNegative: r.xNegative,
			twistType: r.twistType,
			postPrecompute: r.postPrecompute
		}),
		utils: Object.freeze({
			randomSecretKey: h,
			calcPairingPrecomputes: m
		})
	});
}
function Js(e, t, n, r, i) {
	let a = qs(e, t, n, r);
	Ya(i, {
		hasherOpts: "object",
		hasherOptsG1: "object",
		hasherOptsG2: "object"
	}, {
		mapToG1: "function",
		mapToG2: "function"
	}, "hasherParams");
	let o = _s(t, i.mapToG1 === void 0 ? Xa : i.mapToG1, {
		...i.hasherOpts,
		...i.hasherOptsG1
	}), s = _s(n, i.mapToG2 === void 0 ? Xa : i.mapToG2, {
		...i.hasherOpts,
		...i.hasherOptsG2
	});
	return Object.freeze({
		...a,
		G1: o,
		G2: s
	});
}
function Ys(e, t, n, r, i, a) {
	let o = Js(e, t, n, r, i), s = {
		...o,
		Fr: o.fields.Fr,
		Fp12: o.fields.Fp12,
		calcPairingPrecomputes: o.utils.calcPairingPrecomputes,
		randomSecretKey: o.utils.randomSecretKey
	}, c = Ks(s, t, n, !1, o.G2.hashToCurve, a?.LongSignature), l = Ks(s, n, t, !0, o.G1.hashToCurve, a?.ShortSignature);
	return Object.freeze({
		...o,
		longSignatures: c,
		shortSignatures: l
	});
}
// node_modules/@noble/curves/abstract/tower.js
var Xs = /* @__PURE__ */ BigInt(0), Zs = /* @__PURE__ */ BigInt(1), Qs = /* @__PURE__ */ BigInt(2), $s = /* @__PURE__ */ BigInt(3), ec = /* @__PURE__ */ BigInt(6), tc = /* @__PURE__ */ BigInt(12), nc = (e) => !!e && typeof e == "object";
function rc(e, t, n, r, i = 1, a) {
	V(i, "num"), V(r, "degree");
	let o = a === void 0 ? r : a;
	V(o, "divisor");
	let s = e;
	if (typeof n != "bigint" || n <= Zs) throw Error("calcFrobeniusCoefficients: expected valid modulus, got " + n);
	if (r <= 0) throw Error("calcFrobeniusCoefficients: expected positive degree, got " + r);
	if (i <= 0) throw Error("calcFrobeniusCoefficients: expected positive row count, got " + i);
	if (o <= 0) throw Error("calcFrobeniusCoefficients: expected positive divisor, got " + o);
	let c = BigInt(o), l = n ** BigInt(r), u = [];
	for (let e = 0; e < i; e++) {
		let i = BigInt(e + 1), a = [];
		for (let e = 0, o = Zs; e < r; e++) {
			let e = i * o - i;
			if (e % c) throw Error("calcFrobeniusCoefficients: inexact tower exponent");
			let r = e / c % l;
			a.push(s.pow(t, r)), o *= n;
		}
		u.push(a);
	}
	return u;
}
function ic(e, t, n) {
	if (bo(e), bo(t), Ya(t, {
		Fp: "object",
		frobeniusMap: "function",
		fromBigTuple: "function",
		mulByB: "function",
		mulByNonresidue: "function",
		reim: "function",
		Fp4Square: "function",
		NONRESIDUE: "object"
	}, {}), !nc(n) || Array.isArray(n)) throw TypeError("\"base\" expected Fp2 element, got type=" + typeof n);
	if (!t.isValid(n)) throw RangeError("\"base\" expected valid Fp2 element");
	let r = t.pow(n, (e.ORDER - Zs) / $s), i = t.pow(n, (e.ORDER - Zs) / Qs);
	function a(e, n) {
		return [t.mul(t.frobeniusMap(e, 1), r), t.mul(t.frobeniusMap(n, 1), i)];
	}
	let o = t.pow(n, (e.ORDER ** Qs - Zs) / $s), s = t.pow(n, (e.ORDER ** Qs - Zs) / Qs);
	if (!t.eql(s, t.neg(t.ONE))) throw Error("psiFrobenius: PSI2_Y!==-1");
	function c(e, n) {
		return [t.mul(e, o), t.neg(n)];
	}
	let l = (e) => (t, n) => {
		if (typeof t != "function") throw TypeError("\"c\" expected point constructor, got type=" + typeof t);
		if (zo(t), !(n instanceof t)) throw TypeError("\"P\" expected Point instance, got type=" + typeof n);
		let r = n.toAffine(), i = e(r.x, r.y);
		return t.fromAffine({
			x: i[0],
			y: i[1]
		});
	};
	return {
		psi: a,
		psi2: c,
		G2psi: l(a),
		G2psi2: l(c),
		PSI_X: r,
		PSI_Y: i,
		PSI2_X: o,
		PSI2_Y: s
	};
}
var ac = class {
	ORDER;
	BITS;
	BYTES;
	isLE;
	ZERO;
	ONE;
	Fp;
	NONRESIDUE;
	mulByB;
	Fp_NONRESIDUE;
	Fp_div2;
	constructor(e, t = {}) {
		let { NONRESIDUE: n = BigInt(-1), FP2_NONRESIDUE: r, Fp2mulByB: i } = t, a = e.ORDER, o = a * a;
		this.Fp = e, this.ORDER = o, this.BITS = Ga(o), this.BYTES = Math.ceil(Ga(o) / 8), this.isLE = e.isLE, this.ZERO = this.create({
			c0: e.ZERO,
			c1: e.ZERO
		}), this.ONE = this.create({
			c0: e.ONE,
			c1: e.ZERO
		}), this.Fp_NONRESIDUE = e.create(n), this.Fp_div2 = e.div(e.ONE, Qs), this.NONRESIDUE = this.create({
			c0: r[0],
			c1: r[1]
		}), this.mulByB = (e) => {
			let { c0: t, c1: n } = i(e);
			return Object.freeze({
				c0: t,
				c1: n
			});
		}, Object.freeze(this);
	}
	fromBigTuple(e) {
		if (!Array.isArray(e) || e.length !== 2) throw Error("invalid Fp2.fromBigTuple");
		let [t, n] = e;
		if (typeof t != "bigint" || typeof n != "bigint") throw Error("invalid Fp2.fromBigTuple");
		return this.create({
			c0: t,
			c1: n
		});
	}
	create(e) {
		let { Fp: t } = this, n = t.create(e.c0), r = t.create(e.c1);
		return Object.freeze({
			c0: n,
			c1: r
		});
	}
	isValid(e) {
		if (!nc(e)) throw TypeError("invalid field element: expected object, got " + typeof e);
		let { c0: t, c1: n } = e, { Fp: r } = this;
		return r.isValid(t) && r.isValid(n);
	}
	is0(e) {
		if (!nc(e)) return !1;
		let { c0: t, c1: n } = e, { Fp: r } = this;
		return r.is0(t) && r.is0(n);
	}
	isValidNot0(e) {
		return !this.is0(e) && this.isValid(e);
	}
	eql({ c0: e, c1: t }, { c0: n, c1: r }) {
		let { Fp: i } = this;
		return i.eql(e, n) && i.eql(t, r);
	}
	neg({ c0: e, c1: t }) {
		let { Fp: n } = this;
		return Object.freeze({
			c0: n.neg(e),
			c1: n.neg(t)
		});
	}
	pow(e, t) {
		return xo(this, e, t);
	}
	invertBatch(e) {
		return So(this, e, !0);
	}
	add(e, t) {
		let { Fp: n } = this, { c0: r, c1: i } = e, { c0: a, c1: o } = t;
		return Object.freeze({
			c0: n.add(r, a),
			c1: n.add(i, o)
		});
	}
	sub({ c0: e, c1: t }, { c0: n, c1: r }) {
		let { Fp: i } = this;
		return Object.freeze({
			c0: i.sub(e, n),
			c1: i.sub(t, r)
		});
	}
	mul({ c0: e, c1: t }, n) {
		let { Fp: r } = this;
		if (typeof n == "bigint") return Object.freeze({
			c0: r.mul(e, n),
			c1: r.mul(t, n)
		});
		let { c0: i, c1: a } = n, o = r.mul(e, i), s = r.mul(t, a), c = r.sub(o, s), l = r.sub(r.mul(r.add(e, t), r.add(i, a)), r.add(o, s));
		return Object.freeze({
			c0: c,
			c1: l
		});
	}
	sqr({ c0: e, c1: t }) {
		let { Fp: n } = this, r = n.add(e, t), i = n.sub(e, t), a = n.add(e, e);
		return Object.freeze({
			c0: n.mul(r, i),
			c1: n.mul(a, t)
		});
	}
	addN(e, t) {
		return this.add(e, t);
	}
	subN(e, t) {
		return this.sub(e, t);
	}
	mulN(e, t) {
		return this.mul(e, t);
	}
	sqrN(e) {
		return this.sqr(e);
	}
	div(e, t) {
		let { Fp: n } = this;
		return this.mul(e, typeof t == "bigint" ? n.inv(n.create(t)) : this.inv(t));
	}
	inv({ c0: e, c1: t }) {
		let { Fp: n } = this, r = n.inv(n.create(e * e + t * t));
		return Object.freeze({
			c0: n.mul(r, n.create(e)),
			c1: n.mul(r, n.create(-t))
		});
	}
	sqrt(e) {
		let { Fp: t } = this, n = this, { c0: r, c1: i } = e;
		if (t.is0(i)) return Co(t, r) === 1 ? n.create({
			c0: t.sqrt(r),
			c1: t.ZERO
		}) : n.create({
			c0: t.ZERO,
			c1: t.sqrt(t.div(r, this.Fp_NONRESIDUE))
		});
		let a = t.sqrt(t.sub(t.sqr(r), t.mul(t.sqr(i), this.Fp_NONRESIDUE))), o = t.mul(t.add(a, r), this.Fp_div2);
		Co(t, o) === -1 && (o = t.sub(o, a));
		let s = t.sqrt(o), c = n.create({
			c0: s,
			c1: t.div(t.mul(i, this.Fp_div2), s)
		});
		if (!n.eql(n.sqr(c), e)) throw Error("Cannot find square root");
		let l = c, u = n.neg(l), { re: d, im: f } = n.reim(l), { re: p, im: m } = n.reim(u);
		return f > m || f === m && d > p ? l : u;
	}
	isOdd(e) {
		let { re: t, im: n } = this.reim(e), r = t % Qs, i = t === Xs, a = n % Qs;
		return BigInt(r || i && a) == Zs;
	}
	fromBytes(e) {
		let { Fp: t } = this;
		if (z(e), e.length !== this.BYTES) throw Error("fromBytes invalid length=" + e.length);
		return this.create({
			c0: t.fromBytes(e.subarray(0, t.BYTES)),
			c1: t.fromBytes(e.subarray(t.BYTES))
		});
	}
	toBytes({ c0: e, c1: t }) {
		return B(this.Fp.toBytes(e), this.Fp.toBytes(t));
	}
	cmov({ c0: e, c1: t }, { c0: n, c1: r }, i) {
		let { Fp: a } = this;
		return this.create({
			c0: a.cmov(e, n, i),
			c1: a.cmov(t, r, i)
		});
	}
	reim({ c0: e, c1: t }) {
		return {
			re: e,
			im: t
		};
	}
	Fp4Square(e, t) {
		let n = this, r = n.sqr(e), i = n.sqr(t);
		return {
			first: n.add(n.mulByNonresidue(i), r),
			second: n.sub(n.sub(n.sqr(n.add(e, t)), r), i)
		};
	}
	mulByNonresidue({ c0: e, c1: t }) {
		let { Fp: n, NONRESIDUE: r } = this;
		return r.c0 === n.ONE && r.c1 === n.ONE ? Object.freeze({
			c0: n.sub(e, t),
			c1: n.add(e, t)
		}) : r.c1 === n.ONE ? Object.freeze({
			c0: n.sub(n.mul(e, r.c0), t),
			c1: n.add(e, n.mul(t, r.c0))
		}) : this.mul({
			c0: e,
			c1: t
		}, r);
	}
	frobeniusMap(e, t) {
		let { c0: n, c1: r } = e, { Fp: i } = this;
		return Object.freeze({
			c0: n,
			c1: t % 2 == 0 ? r : i.neg(r)
		});
	}
}, oc = class {
	ORDER;
	BITS;
	BYTES;
	isLE;
	ZERO;
	ONE;
	Fp2;
	constructor(e) {
		this.Fp2 = e, this.ORDER = e.Fp.ORDER ** ec, this.BITS = 3 * e.BITS, this.BYTES = 3 * e.BYTES, this.isLE = e.isLE, this.ZERO = this.create({
			c0: e.ZERO,
			c1: e.ZERO,
			c2: e.ZERO
		}), this.ONE = this.create({
			c0: e.ONE,
			c1: e.ZERO,
			c2: e.ZERO
		}), Object.freeze(this);
	}
	get FROBENIUS_COEFFICIENTS_1() {
		let e = sc.get(this);
		if (e) return e[0];
		let { Fp2: t } = this, { Fp: n } = t, r = rc(t, t.NONRESIDUE, n.ORDER, 6, 2, 3), i = [Object.freeze(r[0]), Object.freeze(r[1])];
		return sc.set(this, i), i[0];
	}
	get FROBENIUS_COEFFICIENTS_2() {
		let e = sc.get(this);
		return e ? e[1] : (this.FROBENIUS_COEFFICIENTS_1, sc.get(this)[1]);
	}
	add({ c0: e, c1: t, c2: n }, { c0: r, c1: i, c2: a }) {
		let { Fp2: o } = this;
		return Object.freeze({
			c0: o.add(e, r),
			c1: o.add(t, i),
			c2: o.add(n, a)
		});
	}
	sub({ c0: e, c1: t, c2: n }, { c0: r, c1: i, c2: a }) {
		let { Fp2: o } = this;
		return Object.freeze({
			c0: o.sub(e, r),
			c1: o.sub(t, i),
			c2: o.sub(n, a)
		});
	}
	mul({ c0: e, c1: t, c2: n }, r) {
		let { Fp2: i } = this;
		if (typeof r == "bigint") return Object.freeze({
			c0: i.mul(e, r),
			c1: i.mul(t, r),
			c2: i.mul(n, r)
		});
		let { c0: a, c1: o, c2: s } = r, c = i.mul(e, a), l = i.mul(t, o), u = i.mul(n, s);
		return Object.freeze({
			c0: i.add(c, i.mulByNonresidue(i.sub(i.mul(i.add(t, n), i.add(o, s)), i.add(l, u)))),
			c1: i.add(i.sub(i.mul(i.add(e, t), i.add(a, o)), i.add(c, l)), i.mulByNonresidue(u)),
			c2: i.sub(i.add(l, i.mul(i.add(e, n), i.add(a, s))), i.add(c, u))
		});
	}
	sqr({ c0: e, c1: t, c2: n }) {
		let { Fp2: r } = this, i = r.sqr(e), a = r.mul(r.mul(e, t), Qs), o = r.mul(r.mul(t, n), Qs), s = r.sqr(n);
		return Object.freeze({
			c0: r.add(r.mulByNonresidue(o), i),
			c1: r.add(r.mulByNonresidue(s), a),
			c2: r.sub(r.sub(r.add(r.add(a, r.sqr(r.add(r.sub(e, t), n))), o), i), s)
		});
	}
	addN(e, t) {
		return this.add(e, t);
	}
	subN(e, t) {
		return this.sub(e, t);
	}
	mulN(e, t) {
		return this.mul(e, t);
	}
	sqrN(e) {
		return this.sqr(e);
	}
	create(e) {
		let { Fp2: t } = this, n = t.create(e.c0), r = t.create(e.c1), i = t.create(e.c2);
		return Object.freeze({
			c0: n,
			c1: r,
			c2: i
		});
	}
	isValid(e) {
		if (!nc(e)) throw TypeError("invalid field element: expected object, got " + typeof e);
		let { c0: t, c1: n, c2: r } = e, { Fp2: i } = this;
		return i.isValid(t) && i.isValid(n) && i.isValid(r);
	}
	is0(e) {
		if (!nc(e)) return !1;
		let { c0: t, c1: n, c2: r } = e, { Fp2: i } = this;
		return i.is0(t) && i.is0(n) && i.is0(r);
	}
	isValidNot0(e) {
		return !this.is0(e) && this.isValid(e);
	}
	neg({ c0: e, c1: t, c2: n }) {
		let { Fp2: r } = this;
		return Object.freeze({
			c0: r.neg(e),
			c1: r.neg(t),
			c2: r.neg(n)
		});
	}
	eql({ c0: e, c1: t, c2: n }, { c0: r, c1: i, c2: a }) {
		let { Fp2: o } = this;
		return o.eql(e, r) && o.eql(t, i) && o.eql(n, a);
	}
	sqrt(e) {
		return Xa();
	}
	div(e, t) {
		let { Fp2: n } = this, { Fp: r } = n;
		return this.mul(e, typeof t == "bigint" ? r.inv(r.create(t)) : this.inv(t));
	}
	pow(e, t) {
		return xo(this, e, t);
	}
	invertBatch(e) {
		return So(this, e, !0);
	}
	inv({ c0: e, c1: t, c2: n }) {
		let { Fp2: r } = this, i = r.sub(r.sqr(e), r.mulByNonresidue(r.mul(n, t))), a = r.sub(r.mulByNonresidue(r.sqr(n)), r.mul(e, t)), o = r.sub(r.sqr(t), r.mul(e, n)), s = r.inv(r.add(r.mulByNonresidue(r.add(r.mul(n, a), r.mul(t, o))), r.mul(e, i)));
		return Object.freeze({
			c0: r.mul(s, i),
			c1: r.mul(s, a),
			c2: r.mul(s, o)
		});
	}
	fromBytes(e) {
		let { Fp2: t } = this;
		if (z(e), e.length !== this.BYTES) throw Error("fromBytes invalid length=" + e.length);
		let n = t.BYTES;
		return this.create({
			c0: t.fromBytes(e.subarray(0, n)),
			c1: t.fromBytes(e.subarray(n, n * 2)),
			c2: t.fromBytes(e.subarray(2 * n))
		});
	}
	toBytes({ c0: e, c1: t, c2: n }) {
		let { Fp2: r } = this;
		return B(r.toBytes(e), r.toBytes(t), r.toBytes(n));
	}
	cmov({ c0: e, c1: t, c2: n }, { c0: r, c1: i, c2: a }, o) {
		let { Fp2: s } = this;
		return this.create({
			c0: s.cmov(e, r, o),
			c1: s.cmov(t, i, o),
			c2: s.cmov(n, a, o)
		});
	}
	fromBigSix(e) {
		let { Fp2: t } = this;
		if (!Array.isArray(e) || e.length !== 6) throw Error("invalid Fp6.fromBigSix");
		for (let t = 0; t < 6; t++) if (typeof e[t] != "bigint") throw Error("invalid Fp6.fromBigSix");
		let n = e;
		return this.create({
			c0: t.fromBigTuple(n.slice(0, 2)),
			c1: t.fromBigTuple(n.slice(2, 4)),
			c2: t.fromBigTuple(n.slice(4, 6))
		});
	}
	frobeniusMap(e, t) {
		let { c0: n, c1: r, c2: i } = e;
		if (t % 6 == 0) return Object.freeze({
			c0: n,
			c1: r,
			c2: i
		});
		let { Fp2: a } = this;
		return Object.freeze({
			c0: a.frobeniusMap(n, t),
			c1: a.mul(a.frobeniusMap(r, t), this.FROBENIUS_COEFFICIENTS_1[t % 6]),
			c2: a.mul(a.frobeniusMap(i, t), this.FROBENIUS_COEFFICIENTS_2[t % 6])
		});
	}
	mulByFp2({ c0: e, c1: t, c2: n }, r) {
		let { Fp2: i } = this;
		return Object.freeze({
			c0: i.mul(e, r),
			c1: i.mul(t, r),
			c2: i.mul(n, r)
		});
	}
	mulByNonresidue({ c0: e, c1: t, c2: n }) {
		let { Fp2: r } = this;
		return Object.freeze({
			c0: r.mulByNonresidue(n),
			c1: e,
			c2: t
		});
	}
	mul1({ c0: e, c1: t, c2: n }, r) {
		let { Fp2: i } = this;
		return Object.freeze({
			c0: i.mulByNonresidue(i.mul(n, r)),
			c1: i.mul(e, r),
			c2: i.mul(t, r)
		});
	}
	mul01({ c0: e, c1: t, c2: n }, r, i) {
		let { Fp2: a } = this, o = a.mul(e, r), s = a.mul(t, i);
		return Object.freeze({
			c0: a.add(a.mulByNonresidue(a.sub(a.mul(a.add(t, n), i), s)), o),
			c1: a.sub(a.sub(a.mul(a.add(r, i), a.add(e, t)), o), s),
			c2: a.add(a.sub(a.mul(a.add(e, n), r), o), s)
		});
	}
}, sc = /* @__PURE__ */ new WeakMap(), cc = class {
	ORDER;
	BITS;
	BYTES;
	isLE;
	ZERO;
	ONE;
	Fp6;
	X_LEN;
	finalExponentiate;
	constructor(e, t) {
		let { X_LEN: n, Fp12finalExponentiate: r } = t, { Fp2: i } = e, { Fp: a } = i;
		this.Fp6 = e, this.ORDER = a.ORDER ** tc, this.BITS = 2 * e.BITS, this.BYTES = 2 * e.BYTES, this.isLE = e.isLE, this.ZERO = this.create({
			c0: e.ZERO,
			c1: e.ZERO
		}), this.ONE = this.create({
			c0: e.ONE,
			c1: e.ZERO
		}), this.X_LEN = n, this.finalExponentiate = (e) => {
			let t = ({ c0: e, c1: t }) => Object.freeze({
				c0: e,
				c1: t
			}), n = ({ c0: e, c1: n, c2: r }) => Object.freeze({
				c0: t(e),
				c1: t(n),
				c2: t(r)
			}), i = r(e);
			return Object.freeze({
				c0: n(i.c0),
				c1: n(i.c1)
			});
		}, Object.freeze(this);
	}
	get FROBENIUS_COEFFICIENTS() {
		let e = lc.get(this);
		if (e) return e;
		let { Fp2: t } = this.Fp6, { Fp: n } = t, r = Object.freeze(rc(t, t.NONRESIDUE, n.ORDER, 12, 1, 6)[0]);
		return lc.set(this, r), r;
	}
	create(e) {
		let { Fp6: t } = this, n = t.create(e.c0), r = t.create(e.c1);
		return Object.freeze({
			c0: n,
			c1: r
		});
	}
	isValid(e) {
		if (!nc(e)) throw TypeError("invalid field element: expected object, got " + typeof e);
		let { c0: t, c1: n } = e, { Fp6: r } = this;
		return r.isValid(t) && r.isValid(n);
	}
	is0(e) {
		if (!nc(e)) return !1;
		let { c0: t, c1: n } = e, { Fp6: r } = this;
		return r.is0(t) && r.is0(n);
	}
	isValidNot0(e) {
		return !this.is0(e) && this.isValid(e);
	}
	neg({ c0: e, c1: t }) {
		let { Fp6: n } = this;
		return Object.freeze({
			c0: n.neg(e),
			c1: n.neg(t)
		});
	}
	eql({ c0: e, c1: t }, { c0: n, c1: r }) {
		let { Fp6: i } = this;
		return i.eql(e, n) && i.eql(t, r);
	}
	sqrt(e) {
		return Xa();
	}
	inv({ c0: e, c1: t }) {
		let { Fp6: n } = this, r = n.inv(n.sub(n.sqr(e), n.mulByNonresidue(n.sqr(t))));
		return Object.freeze({
			c0: n.mul(e, r),
			c1: n.neg(n.mul(t, r))
		});
	}
	div(e, t) {
		let { Fp6: n } = this, { Fp2: r } = n, { Fp: i } = r;
		return this.mul(e, typeof t == "bigint" ? i.inv(i.create(t)) : this.inv(t));
	}
	pow(e, t) {
		return xo(this, e, t);
	}
	invertBatch(e) {
		return So(this, e, !0);
	}
	add({ c0: e, c1: t }, { c0: n, c1: r }) {
		let { Fp6: i } = this;
		return Object.freeze({
			c0: i.add(e, n),
			c1: i.add(t, r)
		});
	}
	sub({ c0: e, c1: t }, { c0: n, c1: r }) {
		let { Fp6: i } = this;
		return Object.freeze({
			c0: i.sub(e, n),
			c1: i.sub(t, r)
		});
	}
	mul({ c0: e, c1: t }, n) {
		let { Fp6: r } = this;
		if (typeof n == "bigint") return Object.freeze({
			c0: r.mul(e, n),
			c1: r.mul(t, n)
		});
		let { c0: i, c1: a } = n, o = r.mul(e, i), s = r.mul(t, a);
		return Object.freeze({
			c0: r.add(o, r.mulByNonresidue(s)),
			c1: r.sub(r.mul(r.add(e, t), r.add(i, a)), r.add(o, s))
		});
	}
	sqr({ c0: e, c1: t }) {
		let { Fp6: n } = this, r = n.mul(e, t);
		return Object.freeze({
			c0: n.sub(n.sub(n.mul(n.add(n.mulByNonresidue(t), e), n.add(e, t)), r), n.mulByNonresidue(r)),
			c1: n.add(r, r)
		});
	}
	addN(e, t) {
		return this.add(e, t);
	}
	subN(e, t) {
		return this.sub(e, t);
	}
	mulN(e, t) {
		return this.mul(e, t);
	}
	sqrN(e) {
		return this.sqr(e);
	}
	fromBytes(e) {
		let { Fp6: t } = this;
		if (z(e), e.length !== this.BYTES) throw Error("fromBytes invalid length=" + e.length);
		return this.create({
			c0: t.fromBytes(e.subarray(0, t.BYTES)),
			c1: t.fromBytes(e.subarray(t.BYTES))
		});
	}
	toBytes({ c0: e, c1: t }) {
		let { Fp6: n } = this;
		return B(n.toBytes(e), n.toBytes(t));
	}
	cmov({ c0: e, c1: t }, { c0: n, c1: r }, i) {
		let { Fp6: a } = this;
		return this.create({
			c0: a.cmov(e, n, i),
			c1: a.cmov(t, r, i)
		});
	}
	fromBigTwelve(e) {
		let { Fp6: t } = this;
		if (!Array.isArray(e) || e.length !== 12) throw Error("invalid Fp12.fromBigTwelve");
		for (let t = 0; t < 12; t++) if (typeof e[t] != "bigint") throw Error("invalid Fp12.fromBigTwelve");
		let n = e;
		return this.create({
			c0: t.fromBigSix(n.slice(0, 6)),
			c1: t.fromBigSix(n.slice(6, 12))
		});
	}
	frobeniusMap(e, t) {
		let n = t % 12;
		if (n === 0) return Object.freeze({
			c0: e.c0,
			c1: e.c1
		});
		if (n === 6) return this.conjugate(e);
		let { Fp6: r } = this, { Fp2: i } = r, { c0: a, c1: o, c2: s } = r.frobeniusMap(e.c1, t), c = this.FROBENIUS_COEFFICIENTS[n];
		return Object.freeze({
			c0: r.frobeniusMap(e.c0, t),
			c1: Object.freeze({
				c0: i.mul(a, c),
				c1: i.mul(o, c),
				c2: i.mul(s, c)
			})
		});
	}
	mulByFp2({ c0: e, c1: t }, n) {
		let { Fp6: r } = this;
		return Object.freeze({
			c0: r.mulByFp2(e, n),
			c1: r.mulByFp2(t, n)
		});
	}
	conjugate({ c0: e, c1: t }) {
		return Object.freeze({
			c0: e,
			c1: this.Fp6.neg(t)
		});
	}
	_cyclotomicSquare({ c0: e, c1: t }) {
		let { Fp6: n } = this, { Fp2: r } = n, { c0: i, c1: a, c2: o } = e, { c0: s, c1: c, c2: l } = t, { first: u, second: d } = r.Fp4Square(i, c), { first: f, second: p } = r.Fp4Square(s, o), { first: m, second: h } = r.Fp4Square(a, l), g = r.mulByNonresidue(h);
		return Object.freeze({
			c0: Object.freeze({
				c0: r.add(r.mul(r.sub(u, i), Qs), u),
				c1: r.add(r.mul(r.sub(f, a), Qs), f),
				c2: r.add(r.mul(r.sub(m, o), Qs), m)
			}),
			c1: Object.freeze({
				c0: r.add(r.mul(r.add(g, s), Qs), g),
				c1: r.add(r.mul(r.add(d, c), Qs), d),
				c2: r.add(r.mul(r.add(p, l), Qs), p)
			})
		});
	}
	_cyclotomicExp(e, t) {
		if (Wa("cyclotomic exponent", t, Xs, Zs << BigInt(this.X_LEN)), t === Xs) return this.ONE;
		let n = e;
		for (let r = Ga(t) - 2; r >= 0; r--) n = this._cyclotomicSquare(n), Ka(t, r) && (n = this.mul(n, e));
		return n;
	}
}, lc = /* @__PURE__ */ new WeakMap();
function uc(e) {
	if (Ya(e, {
		ORDER: "bigint",
		X_LEN: "number",
		FP2_NONRESIDUE: "object",
		Fp2mulByB: "function",
		Fp12finalExponentiate: "function"
	}, { NONRESIDUE: "bigint" }), V(e.X_LEN, "X_LEN"), e.X_LEN < 1) throw Error("invalid X_LEN");
	let t = e.FP2_NONRESIDUE;
	if (!Array.isArray(t) || t.length !== 2 || typeof t[0] != "bigint" || typeof t[1] != "bigint") throw Error("invalid FP2_NONRESIDUE");
	let n = Oo(e.ORDER), r = new ac(n, e), i = new oc(r);
	return {
		Fp: n,
		Fp2: r,
		Fp6: i,
		Fp12: new cc(i, e)
	};
}
// node_modules/@noble/curves/bls12-381.js
var dc = BigInt(0), fc = BigInt(1), pc = BigInt(2), mc = BigInt(3), hc = BigInt(4), gc = BigInt("0xd201000000010000"), _c = Ga(gc), vc = {
	p: BigInt("0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab"),
	n: BigInt("0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001"),
	h: BigInt("0x396c8c005555e1568c00aaab0000aaab"),
	a: dc,
	b: hc,
	Gx: BigInt("0x17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"),
	Gy: BigInt("0x08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1")
}, yc = Oo(vc.n, { modFromBytes: !0 });
function bc(e, t, { g2: n, g3: r, g4: i, g5: a }) {
	return {
		c0: {
			c0: e,
			c1: i,
			c2: r
		},
		c1: {
			c0: n,
			c1: t,
			c2: a
		}
	};
}
function xc({ c0: e, c1: t }) {
	return {
		g2: t.c0,
		g3: e.c2,
		g4: e.c1,
		g5: t.c2
	};
}
function Sc({ g2: e, g3: t, g4: n, g5: r }) {
	let { first: i, second: a } = q.Fp4Square(n, r), { first: o, second: s } = q.Fp4Square(e, t), c = q.add(e, e), l = q.add(t, t), u = q.add(n, n), d = q.add(r, r);
	return {
		g2: q.add(q.mul(q.mulByNonresidue(a), mc), c),
		g3: q.sub(q.mul(i, mc), l),
		g4: q.sub(q.mul(o, mc), u),
		g5: q.add(q.mul(s, mc), d)
	};
}
function Cc({ g2: e, g3: t, g4: n, g5: r }) {
	return q.is0(e) ? {
		num: q.mul(q.mul(n, r), pc),
		den: t
	} : {
		num: q.add(q.sub(q.mul(q.sqr(n), mc), q.mul(t, pc)), q.mulByNonresidue(q.sqr(r))),
		den: q.mul(e, hc)
	};
}
function wc(e, { g2: t, g3: n, g4: r, g5: i }) {
	let a = q.mul(n, r), o = q.add(q.sub(q.mul(q.sub(q.sqr(e), a), pc), a), q.mul(t, i));
	return q.add(q.mulByNonresidue(o), q.ONE);
}
function Tc(e, t) {
	let n = [], r = xc(e);
	for (let e of t) {
		for (let t = 0; t < e; t++) r = Sc(r);
		n.push(r);
	}
	let i = n.map(({ g2: e, g3: t }) => q.is0(e) && q.is0(t)), a = n.map(Cc), o = q.invertBatch(a.map(({ den: e }) => e)), s = n.map((e, t) => {
		if (i[t]) return J.ONE;
		let n = q.mul(a[t].num, o[t]);
		return bc(wc(n, e), n, e);
	});
	return {
		result: J.mul(J.mul(s[0], s[1]), s[2]),
		last: s[2]
	};
}
function Ec(e) {
	let { result: t, last: n } = Tc(e, [
		16,
		32,
		9
	]), r = t, i = n;
	for (let e = 0; e < 3; e++) i = J._cyclotomicSquare(i);
	r = J.mul(r, i);
	for (let e = 0; e < 2; e++) i = J._cyclotomicSquare(i);
	return r = J.mul(r, i), i = J._cyclotomicSquare(i), J.mul(r, i);
}
var { Fp: K, Fp2: q, Fp6: Dc, Fp12: J } = uc({
	ORDER: vc.p,
	X_LEN: _c,
	FP2_NONRESIDUE: [fc, fc],
	Fp2mulByB: ({ c0: e, c1: t }) => {
		let n = K.mul(e, hc), r = K.mul(t, hc);
		return {
			c0: K.sub(n, r),
			c1: K.add(n, r)
		};
	},
	Fp12finalExponentiate: (e) => {
		let t = (e) => J.conjugate(Ec(e)), n = J.div(J.frobeniusMap(e, 6), e), r = J.mul(J.frobeniusMap(n, 2), n), i = t(r), a = J.mul(J.conjugate(J._cyclotomicSquare(r)), i), o = t(a), s = t(o), c = J.mul(t(s), J._cyclotomicSquare(i)), l = t(c), u = J.frobeniusMap(J.mul(i, s), 2), d = J.frobeniusMap(J.mul(o, r), 3), f = J.frobeniusMap(J.mul(c, J.conjugate(r)), 1), p = J.mul(J.mul(l, J.conjugate(a)), r);
		return J.mul(J.mul(J.mul(u, d), f), p);
	}
}), Oc, kc = () => Oc ||= ic(K, q, q.div(q.ONE, q.NONRESIDUE)), Ac = (e, t) => {
	let n = kc().G2psi;
	return Ac = n, n(e, t);
}, jc = (e, t) => {
	let n = kc().G2psi2;
	return jc = n, n(e, t);
}, Mc = Object.freeze({
	DST: "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_",
	encodeDST: "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_",
	p: K.ORDER,
	m: 2,
	k: 128,
	expand: "xmd",
	hash: Qe
}), Nc = {
	p: q.ORDER,
	n: vc.n,
	h: BigInt("0x5d543a95414e7f1091d50792876a202cd91de4547085abaa68a205b2e5a7ddfa628f1cb4d9e82ef21537e293a6691ae1616ec6e786f0c70cf1c38e31c7238e5"),
	a: q.ZERO,
	b: q.fromBigTuple([hc, hc]),
	Gx: q.fromBigTuple([BigInt("0x024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"), BigInt("0x13e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e")]),
	Gy: q.fromBigTuple([BigInt("0x0ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e193548608b82801"), BigInt("0x0606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be")])
}, Pc = (e, t) => {
	for (let n of e) if (n !== dc) return !!(n * pc / t);
	return !1;
}, Fc = {
	encode({ c0: e, c1: t }) {
		let { BYTES: n } = K;
		return B(Ra(t, n), Ra(e, n));
	},
	decode(e) {
		let { BYTES: t } = K;
		return q.create({
			c0: Lc(e.subarray(t)),
			c1: Lc(e.subarray(0, t))
		});
	}
}, Ic = K;
function Lc(e) {
	return K.fromBytes(e);
}
var Rc = (e, t, n, r, i, a) => {
	let o = t, s = r, c = i, l = o.BYTES;
	return (t) => ({
		encode(e, n = !0) {
			if (!n && !t) throw Error("invalid signature: expected compressed encoding");
			let r = e.is0(), { x: i, y: o } = e.toAffine(), c = n ? s(i) : B(s(i), s(o)), l;
			return n && !r && (l = Pc(a(o), Ic.ORDER)), Vc(c, {
				compressed: n,
				infinity: r,
				sort: l
			});
		},
		decode(r) {
			let { compressed: i, infinity: s, sort: u, value: d } = Bc(t ? z(r, void 0, "point") : z(r, l, "signature"));
			if (!t && !i) throw Error("invalid signature: expected compressed encoding");
			let f = i ? l : 2 * l;
			if (d.length !== f) throw Error(`invalid ${e} point: expected ${f} bytes`);
			if (s) {
				for (let t of d) if (t) throw Error(`invalid ${e} point: non-canonical zero`);
				return {
					x: o.ZERO,
					y: o.ZERO
				};
			}
			let p = c(i ? d : d.subarray(0, l)), m;
			if (i) {
				if (m = o.sqrt(o.add(o.pow(p, mc), n)), !m) throw Error(`invalid ${e} point: compressed`);
				Pc(a(m), Ic.ORDER) !== u && (m = o.neg(m));
			} else m = c(d.subarray(l));
			if (!i && o.is0(p) && o.is0(m)) throw Error(`invalid ${e} point: uncompressed`);
			return {
				x: p,
				y: m
			};
		}
	});
};
function zc({ compressed: e, infinity: t, sort: n }) {
	if (!e && !t && n || !e && t && n || e && t && n) throw Error("invalid encoding flag");
}
function Bc(e) {
	e = Ba(e);
	let t = e[0] & 224, n = !!(t >> 7 & 1), r = !!(t >> 6 & 1), i = !!(t >> 5 & 1);
	return zc({
		compressed: n,
		infinity: r,
		sort: i
	}), e[0] &= 31, {
		compressed: n,
		infinity: r,
		sort: i,
		value: e
	};
}
function Vc(e, t) {
	if (e[0] & 224) throw Error("setMask: non-empty mask");
	return zc({
		compressed: !!t.compressed,
		infinity: !!t.infinity,
		sort: !!t.sort
	}), t.compressed && (e[0] |= 128), t.infinity && (e[0] |= 64), t.sort && (e[0] |= 32), e;
}
var Hc = Rc("G1", K, K.create(vc.b), (e) => Ra(e, K.BYTES), Lc, (e) => [e]), Uc = {
	point: Hc(!0),
	sig: Hc(!1)
}, Wc = (e) => (e.assertValidity(), Uc.sig.encode(e));
function Gc(e) {
	let t = tl.G1.Point.fromAffine(Uc.sig.decode(e));
	return t.assertValidity(), t;
}
var Kc = Rc("G2", q, Nc.b, Fc.encode, Fc.decode, (e) => [e.c1, e.c0]), qc = {
	point: Kc(!0),
	sig: Kc(!1)
}, Jc = (e) => (e.assertValidity(), qc.sig.encode(e));
function Yc(e) {
	let t = tl.G2.Point.fromAffine(qc.sig.decode(e));
	return t.assertValidity(), t;
}
var Xc = {
	ShortSignature: {
		fromBytes(e) {
			return Gc(z(e));
		},
		fromHex(e) {
			return Gc(Ea(e));
		},
		toBytes(e) {
			return Wc(e);
		},
		toRawBytes(e) {
			return Wc(e);
		},
		toHex(e) {
			return Ta(Wc(e));
		}
	},
	LongSignature: {
		fromBytes(e) {
			return Yc(z(e));
		},
		fromHex(e) {
			return Yc(Ea(e));
		},
		toBytes(e) {
			return Jc(e);
		},
		toRawBytes(e) {
			return Jc(e);
		},
		toHex(e) {
			return Ta(Jc(e));
		}
	}
}, Zc = {
	Fp: K,
	Fp2: q,
	Fp6: Dc,
	Fp12: J,
	Fr: yc
}, Qc = Ps(vc, {
	allowInfinityPoint: !0,
	Fn: yc,
	fromBytes: Uc.point.decode,
	toBytes: (e, t, n) => Uc.point.encode(t, n),
	isTorsionFree: (e, t) => {
		let n = BigInt("0x5f19672fdf76ce51ba69c6076a0f77eaddb3a93be6f89688de17d813620a00022e01fffffffefffe"), r = new e(K.mul(t.X, n), t.Y, t.Z);
		return t.multiplyUnsafe(gc).negate().multiplyUnsafe(gc).equals(r);
	},
	clearCofactor: (e, t) => t.multiplyUnsafe(gc).add(t)
}), $c = Ps(Nc, {
	Fp: q,
	allowInfinityPoint: !0,
	Fn: yc,
	fromBytes: qc.point.decode,
	toBytes: (e, t, n) => qc.point.encode(t, n),
	isTorsionFree: (e, t) => t.multiplyUnsafe(gc).negate().equals(Ac(e, t)),
	clearCofactor: (e, t) => {
		let n = gc, r = t.multiplyUnsafe(n).negate(), i = Ac(e, t), a = t.double();
		return a = jc(e, a), a = a.subtract(i), i = r.add(i), i = i.multiplyUnsafe(n).negate(), a = a.add(i), a = a.subtract(r), a.subtract(t);
	}
}), el = {
	mapToG1: cl,
	mapToG2: ll,
	hasherOpts: Mc,
	hasherOptsG1: {
		...Mc,
		m: 1,
		DST: "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_",
		encodeDST: "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
	},
	hasherOptsG2: { ...Mc }
}, tl = Ys(Zc, Qc, $c, {
	ateLoopSize: gc,
	xNegative: !0,
	twistType: "multiplicative",
	randomBytes: Oa
}, el, Xc), nl = hs(q, [
	[
		["0x5c759507e8e333ebb5b7a9a47d7ed8532c52d39fd3a042a88b58423c50ae15d5c2638e343d9c71c6238aaaaaaaa97d6", "0x5c759507e8e333ebb5b7a9a47d7ed8532c52d39fd3a042a88b58423c50ae15d5c2638e343d9c71c6238aaaaaaaa97d6"],
		["0x0", "0x11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d555526a9ffffffffc71a"],
		["0x11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d555526a9ffffffffc71e", "0x8ab05f8bdd54cde190937e76bc3e447cc27c3d6fbd7063fcd104635a790520c0a395554e5c6aaaa9354ffffffffe38d"],
		["0x171d6541fa38ccfaed6dea691f5fb614cb14b4e7f4e810aa22d6108f142b85757098e38d0f671c7188e2aaaaaaaa5ed1", "0x0"]
	],
	[
		["0x0", "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaa63"],
		["0xc", "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaa9f"],
		["0x1", "0x0"]
	],
	[
		["0x1530477c7ab4113b59a4c18b076d11930f7da5d4a07f649bf54439d87d27e500fc8c25ebf8c92f6812cfc71c71c6d706", "0x1530477c7ab4113b59a4c18b076d11930f7da5d4a07f649bf54439d87d27e500fc8c25ebf8c92f6812cfc71c71c6d706"],
		["0x0", "0x5c759507e8e333ebb5b7a9a47d7ed8532c52d39fd3a042a88b58423c50ae15d5c2638e343d9c71c6238aaaaaaaa97be"],
		["0x11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d555526a9ffffffffc71c", "0x8ab05f8bdd54cde190937e76bc3e447cc27c3d6fbd7063fcd104635a790520c0a395554e5c6aaaa9354ffffffffe38f"],
		["0x124c9ad43b6cf79bfbf7043de3811ad0761b0f37a1e26286b0e977c69aa274524e79097a56dc4bd9e1b371c71c718b10", "0x0"]
	],
	[
		["0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffa8fb", "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffa8fb"],
		["0x0", "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffa9d3"],
		["0x12", "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaa99"],
		["0x1", "0x0"]
	]
].map((e) => e.map((e) => q.fromBigTuple(e.map(BigInt))))), rl = hs(K, [
	[
		"0x11a05f2b1e833340b809101dd99815856b303e88a2d7005ff2627b56cdb4e2c85610c2d5f2e62d6eaeac1662734649b7",
		"0x17294ed3e943ab2f0588bab22147a81c7c17e75b2f6a8417f565e33c70d1e86b4838f2a6f318c356e834eef1b3cb83bb",
		"0xd54005db97678ec1d1048c5d10a9a1bce032473295983e56878e501ec68e25c958c3e3d2a09729fe0179f9dac9edcb0",
		"0x1778e7166fcc6db74e0609d307e55412d7f5e4656a8dbf25f1b33289f1b330835336e25ce3107193c5b388641d9b6861",
		"0xe99726a3199f4436642b4b3e4118e5499db995a1257fb3f086eeb65982fac18985a286f301e77c451154ce9ac8895d9",
		"0x1630c3250d7313ff01d1201bf7a74ab5db3cb17dd952799b9ed3ab9097e68f90a0870d2dcae73d19cd13c1c66f652983",
		"0xd6ed6553fe44d296a3726c38ae652bfb11586264f0f8ce19008e218f9c86b2a8da25128c1052ecaddd7f225a139ed84",
		"0x17b81e7701abdbe2e8743884d1117e53356de5ab275b4db1a682c62ef0f2753339b7c8f8c8f475af9ccb5618e3f0c88e",
		"0x80d3cf1f9a78fc47b90b33563be990dc43b756ce79f5574a2c596c928c5d1de4fa295f296b74e956d71986a8497e317",
		"0x169b1f8e1bcfa7c42e0c37515d138f22dd2ecb803a0c5c99676314baf4bb1b7fa3190b2edc0327797f241067be390c9e",
		"0x10321da079ce07e272d8ec09d2565b0dfa7dccdde6787f96d50af36003b14866f69b771f8c285decca67df3f1605fb7b",
		"0x6e08c248e260e70bd1e962381edee3d31d79d7e22c837bc23c0bf1bc24c6b68c24b1b80b64d391fa9c8ba2e8ba2d229"
	],
	[
		"0x8ca8d548cff19ae18b2e62f4bd3fa6f01d5ef4ba35b48ba9c9588617fc8ac62b558d681be343df8993cf9fa40d21b1c",
		"0x12561a5deb559c4348b4711298e536367041e8ca0cf0800c0126c2588c48bf5713daa8846cb026e9e5c8276ec82b3bff",
		"0xb2962fe57a3225e8137e629bff2991f6f89416f5a718cd1fca64e00b11aceacd6a3d0967c94fedcfcc239ba5cb83e19",
		"0x3425581a58ae2fec83aafef7c40eb545b08243f16b1655154cca8abc28d6fd04976d5243eecf5c4130de8938dc62cd8",
		"0x13a8e162022914a80a6f1d5f43e7a07dffdfc759a12062bb8d6b44e833b306da9bd29ba81f35781d539d395b3532a21e",
		"0xe7355f8e4e667b955390f7f0506c6e9395735e9ce9cad4d0a43bcef24b8982f7400d24bc4228f11c02df9a29f6304a5",
		"0x772caacf16936190f3e0c63e0596721570f5799af53a1894e2e073062aede9cea73b3538f0de06cec2574496ee84a3a",
		"0x14a7ac2a9d64a8b230b3f5b074cf01996e7f63c21bca68a81996e1cdf9822c580fa5b9489d11e2d311f7d99bbdcc5a5e",
		"0xa10ecf6ada54f825e920b3dafc7a3cce07f8d1d7161366b74100da67f39883503826692abba43704776ec3a79a1d641",
		"0x95fc13ab9e92ad4476d6e3eb3a56680f682b4ee96f7d03776df533978f31c1593174e4b4b7865002d6384d168ecdd0a",
		"0x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001"
	],
	[
		"0x90d97c81ba24ee0259d1f094980dcfa11ad138e48a869522b52af6c956543d3cd0c7aee9b3ba3c2be9845719707bb33",
		"0x134996a104ee5811d51036d776fb46831223e96c254f383d0f906343eb67ad34d6c56711962fa8bfe097e75a2e41c696",
		"0xcc786baa966e66f4a384c86a3b49942552e2d658a31ce2c344be4b91400da7d26d521628b00523b8dfe240c72de1f6",
		"0x1f86376e8981c217898751ad8746757d42aa7b90eeb791c09e4a3ec03251cf9de405aba9ec61deca6355c77b0e5f4cb",
		"0x8cc03fdefe0ff135caf4fe2a21529c4195536fbe3ce50b879833fd221351adc2ee7f8dc099040a841b6daecf2e8fedb",
		"0x16603fca40634b6a2211e11db8f0a6a074a7d0d4afadb7bd76505c3d3ad5544e203f6326c95a807299b23ab13633a5f0",
		"0x4ab0b9bcfac1bbcb2c977d027796b3ce75bb8ca2be184cb5231413c4d634f3747a87ac2460f415ec961f8855fe9d6f2",
		"0x987c8d5333ab86fde9926bd2ca6c674170a05bfe3bdd81ffd038da6c26c842642f64550fedfe935a15e4ca31870fb29",
		"0x9fc4018bd96684be88c9e221e4da1bb8f3abd16679dc26c1e8b6e6a1f20cabe69d65201c78607a360370e577bdba587",
		"0xe1bba7a1186bdb5223abde7ada14a23c42a0ca7915af6fe06985e7ed1e4d43b9b3f7055dd4eba6f2bafaaebca731c30",
		"0x19713e47937cd1be0dfd0b8f1d43fb93cd2fcbcb6caf493fd1183e416389e61031bf3a5cce3fbafce813711ad011c132",
		"0x18b46a908f36f6deb918c143fed2edcc523559b8aaf0c2462e6bfe7f911f643249d9cdf41b44d606ce07c8a4d0074d8e",
		"0xb182cac101b9399d155096004f53f447aa7b12a3426b08ec02710e807b4633f06c851c1919211f20d4c04f00b971ef8",
		"0x245a394ad1eca9b72fc00ae7be315dc757b3b080d4c158013e6632d3c40659cc6cf90ad1c232a6442d9d3f5db980133",
		"0x5c129645e44cf1102a159f748c4a3fc5e673d81d7e86568d9ab0f5d396a7ce46ba1049b6579afb7866b1e715475224b",
		"0x15e6be4e990f03ce4ea50b3b42df2eb5cb181d8f84965a3957add4fa95af01b2b665027efec01c7704b456be69c8b604"
	],
	[
		"0x16112c4c3a9c98b252181140fad0eae9601a6de578980be6eec3232b5be72e7a07f3688ef60c206d01479253b03663c1",
		"0x1962d75c2381201e1a0cbd6c43c348b885c84ff731c4d59ca4a10356f453e01f78a4260763529e3532f6102c2e49a03d",
		"0x58df3306640da276faaae7d6e8eb15778c4855551ae7f310c35a5dd279cd2eca6757cd636f96f891e2538b53dbf67f2",
		"0x16b7d288798e5395f20d23bf89edb4d1d115c5dbddbcd30e123da489e726af41727364f2c28297ada8d26d98445f5416",
		"0xbe0e079545f43e4b00cc912f8228ddcc6d19c9f0f69bbb0542eda0fc9dec916a20b15dc0fd2ededda39142311a5001d",
		"0x8d9e5297186db2d9fb266eaac783182b70152c65550d881c5ecd87b6f0f5a6449f38db9dfa9cce202c6477faaf9b7ac",
		"0x166007c08a99db2fc3ba8734ace9824b5eecfdfa8d0cf8ef5dd365bc400a0051d5fa9c01a58b1fb93d1a1399126a775c",
		"0x16a3ef08be3ea7ea03bcddfabba6ff6ee5a4375efa1f4fd7feb34fd206357132b920f5b00801dee460ee415a15812ed9",
		"0x1866c8ed336c61231a1be54fd1d74cc4f9fb0ce4c6af5920abc5750c4bf39b4852cfe2f7bb9248836b233d9d55535d4a",
		"0x167a55cda70a6e1cea820597d94a84903216f763e13d87bb5308592e7ea7d4fbc7385ea3d529b35e346ef48bb8913f55",
		"0x4d2f259eea405bd48f010a01ad2911d9c6dd039bb61a6290e591b36e636a5c871a5c29f4f83060400f8b49cba8f6aa8",
		"0xaccbb67481d033ff5852c1e48c50c477f94ff8aefce42d28c0f9a88cea7913516f968986f7ebbea9684b529e2561092",
		"0xad6b9514c767fe3c3613144b45f1496543346d98adf02267d5ceef9a00d9b8693000763e3b90ac11e99b138573345cc",
		"0x2660400eb2e4f3b628bdd0d53cd76f2bf565b94e72927c1cb748df27942480e420517bd8714cc80d1fadc1326ed06f7",
		"0xe0fa1d816ddc03e6b24255e0d7819c171c40f65e273b853324efcd6356caa205ca2f570f13497804415473a1d634b8f",
		"0x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001"
	]
].map((e) => e.map((e) => BigInt(e)))), il, al, ol = () => il ||= ys(K, {
	A: K.create(BigInt("0x144698a3b8e9433d693a02c96d4982b0ea985383ee66a8d8e8981aefd881ac98936f8da0e0f97f5cf428082d584c1d")),
	B: K.create(BigInt("0x12e2908d11688030018b12e8753eee3b2016c1f0f24f4070a0b9c14fcef35ef55a23215a316ceaa5d1cc48e98e172be0")),
	Z: K.create(BigInt(11))
}), sl = () => al ||= ys(q, {
	A: q.create({
		c0: K.create(dc),
		c1: K.create(BigInt(240))
	}),
	B: q.create({
		c0: K.create(BigInt(1012)),
		c1: K.create(BigInt(1012))
	}),
	Z: q.create({
		c0: K.create(BigInt(-2)),
		c1: K.create(BigInt(-1))
	})
});
function cl(e) {
	let { x: t, y: n } = ol()(K.create(e[0]));
	return rl(t, n);
}
function ll(e) {
	let { x: t, y: n } = sl()(q.fromBigTuple(e));
	return nl(t, n);
}
// node_modules/@icp-sdk/core/lib/esm/agent/utils/bls.js
function ul(e, t, n) {
	let r = typeof e == "string" ? Ee(e) : e, i = typeof t == "string" ? Ee(t) : t, a = typeof n == "string" ? Ee(n) : n, o = tl.shortSignatures;
	return o.verify(i, o.hash(a), r);
}
// node_modules/@icp-sdk/core/lib/esm/agent/utils/buffer.js
function dl(e) {
	if (!e) throw Error("Input cannot be null or undefined");
	return e instanceof Uint8Array ? e : e instanceof ArrayBuffer || Array.isArray(e) ? new Uint8Array(e) : "buffer" in e ? dl(e.buffer) : new Uint8Array(e);
}
function fl(e, t) {
	if (e.length !== t.length) return !1;
	for (let n = 0; n < e.length; n++) if (e[n] !== t[n]) return !1;
	return !0;
}
// node_modules/@icp-sdk/core/lib/esm/agent/constants.js
var pl = new TextEncoder().encode("\ric-state-root"), ml = new TextEncoder().encode("\nic-request"), hl = new TextEncoder().encode("\vic-response");
new TextEncoder().encode("ic-request-auth-delegation");
// node_modules/@icp-sdk/core/lib/esm/agent/certificate.js
var gl = 6e4, _l = 1440, vl = 5, yl = 5, bl = 30 * _l, Y;
(function(e) {
	e[e.Empty = 0] = "Empty", e[e.Fork = 1] = "Fork", e[e.Labeled = 2] = "Labeled", e[e.Leaf = 3] = "Leaf", e[e.Pruned = 4] = "Pruned";
})(Y ||= {});
function xl(e, t) {
	for (let n = 0; n < e.length; n++) if (e[n] > t[n]) return !0;
	return !1;
}
var Sl = class e {
	#e = !1;
	#t = void 0;
	static async create(t) {
		let n = e.createUnverified(t);
		return await n.verify(), n;
	}
	static createUnverified(t) {
		return new e(t.certificate, t.rootKey, t.principal, t.blsVerify ?? ul, t.maxAgeInMinutes, t.disableTimeVerification, t.agent);
	}
	constructor(e, t, n, r, i = vl, a = !1, o) {
		this._rootKey = t, this._principal = n, this._blsVerify = r, this._maxAgeInMinutes = i, this.#e = a, this.cert = ga(e), o && "getTimeDiffMsecs" in o && "hasSyncedTime" in o && "syncTime" in o && (this.#t = o);
	}
	lookup_path(e) {
		return Pl(e, this.cert.tree);
	}
	lookup_subtree(e) {
		return Fl(e, this.cert.tree);
	}
	async verify() {
		let e = await kl(this.cert.tree), t = await this._checkDelegationAndGetKey(this.cert.delegation), n = this.cert.signature, r = Dl(t), i = ke(pl, e), a = Ol(this.lookup_path(["time"]));
		if (!a) throw j.fromCode(new _n("Certificate does not contain a time"));
		if (!this.#e) {
			let e = this.#t?.getTimeDiffMsecs() ?? 0, t = this._maxAgeInMinutes * gl, n = /* @__PURE__ */ new Date(), r = n.getTime() + e, i = r - t, o = r + yl * gl, s = ya(a), c = s.getTime() < i, l = s.getTime() > o;
			if ((c || l) && this.#t && !this.#t.hasSyncedTime()) return await this._syncTime(), await this.verify();
			if (c) throw fn.fromCode(new vn(this._maxAgeInMinutes, s, n, e, "past"));
			if (l) throw this.#t?.hasSyncedTime() ? gn.fromCode(new Jn("System time has been synced with the IC network, but certificate is still too far in the future.")) : fn.fromCode(new vn(5, s, n, e, "future"));
		}
		try {
			if (!await this._blsVerify(r, n, i)) throw fn.fromCode(new _n("Invalid signature"));
		} catch (e) {
			throw fn.fromCode(new _n("Signature verification failed", e));
		}
	}
	async _checkDelegationAndGetKey(t) {
		if (!t) return this._rootKey;
		let n = e.createUnverified({
			certificate: t.certificate,
			rootKey: this._rootKey,
			principal: this._principal,
			blsVerify: this._blsVerify,
			disableTimeVerification: this.#e,
			maxAgeInMinutes: bl,
			agent: this.#t
		});
		if (n.cert.delegation) throw j.fromCode(new yn());
		await n.verify();
		let r;
		if (wl(this._principal)) {
			let e = this._principal.canisterId;
			if (r = D.fromUint8Array(t.subnet_id), !zl({
				canisterId: e,
				subnetId: r,
				tree: n.cert.tree
			})) throw fn.fromCode(new bn(e, r));
		} else if (Cl(this._principal)) r = this._principal.subnetId;
		else throw ar;
		let i = Ol(n.lookup_path([
			"subnet",
			r.toUint8Array(),
			"public_key"
		]));
		if (!i) throw Cl(this._principal) ? fn.fromCode(new xn(r)) : fn.fromCode(new wn(`Could not find subnet key for subnet ID ${r.toText()}`));
		return i;
	}
	async _syncTime() {
		this.#t && (wl(this._principal) ? await this.#t.syncTime({ canisterId: this._principal.canisterId }) : await this.#t.syncTime({ subnetId: this._principal.subnetId }));
	}
};
function Cl(e) {
	return "subnetId" in e;
}
function wl(e) {
	return "canisterId" in e;
}
var Tl = Ee("308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100"), El = 96;
function Dl(e) {
	let t = Tl.byteLength + El;
	if (e.byteLength !== t) throw j.fromCode(new Tn(t, e.byteLength));
	let n = e.slice(0, Tl.byteLength);
	if (!fl(n, Tl)) throw j.fromCode(new En(Tl, n));
	return e.slice(Tl.byteLength);
}
function Ol(e) {
	if (e.status === Ml.Found && e.value instanceof Uint8Array) return e.value;
}
async function kl(e) {
	switch (e[0]) {
		case Y.Empty: return Qe(Al("ic-hashtree-empty"));
		case Y.Pruned: return e[1];
		case Y.Leaf: return Qe(ke(Al("ic-hashtree-leaf"), e[1]));
		case Y.Labeled: return Qe(ke(Al("ic-hashtree-labeled"), e[1], await kl(e[2])));
		case Y.Fork: return Qe(ke(Al("ic-hashtree-fork"), await kl(e[1]), await kl(e[2])));
		default: throw ar;
	}
}
function Al(e) {
	return ke(new Uint8Array([e.length]), new TextEncoder().encode(e));
}
function jl(e) {
	return typeof e[0] == "string" ? De(e[0]) : e[0];
}
var Ml;
(function(e) {
	e.Unknown = "Unknown", e.Absent = "Absent", e.Found = "Found", e.Error = "Error";
})(Ml ||= {});
var Nl;
(function(e) {
	e.Absent = "Absent", e.Unknown = "Unknown", e.Found = "Found";
})(Nl ||= {});
var X;
(function(e) {
	e.Absent = "Absent", e.Unknown = "Unknown", e.Found = "Found", e.Less = "Less", e.Greater = "Greater";
})(X ||= {});
function Pl(e, t) {
	if (e.length === 0) switch (t[0]) {
		case Y.Empty: return { status: Ml.Absent };
		case Y.Leaf:
			if (!t[1]) throw gn.fromCode(new Xn("Invalid tree structure for leaf"));
			if (t[1] instanceof Uint8Array) return {
				status: Ml.Found,
				value: t[1].slice(t[1].byteOffset, t[1].byteLength + t[1].byteOffset)
			};
			throw ar;
		case Y.Pruned: return { status: Ml.Unknown };
		case Y.Labeled:
		case Y.Fork: return { status: Ml.Error };
		default: throw ar;
	}
	let n = Ll(jl(e), t);
	switch (n.status) {
		case X.Found: return Pl(e.slice(1), n.value);
		case X.Absent:
		case X.Greater:
		case X.Less: return { status: Ml.Absent };
		case X.Unknown: return { status: Ml.Unknown };
		default: throw ar;
	}
}
function Fl(e, t) {
	if (e.length === 0) return {
		status: Nl.Found,
		value: t
	};
	let n = Ll(jl(e), t);
	switch (n.status) {
		case X.Found: return Fl(e.slice(1), n.value);
		case X.Unknown: return { status: Nl.Unknown };
		case X.Absent:
		case X.Greater:
		case X.Less: return { status: Nl.Absent };
		default: throw ar;
	}
}
function Il(e) {
	switch (e[0]) {
		case Y.Empty: return [];
		case Y.Fork: return Il(e[1]).concat(Il(e[2]));
		default: return [e];
	}
}
function Ll(e, t) {
	switch (t[0]) {
		case Y.Labeled: return xl(e, t[1]) ? { status: X.Greater } : fl(e, t[1]) ? {
			status: X.Found,
			value: t[2]
		} : { status: X.Less };
		case Y.Fork: {
			let n = Ll(e, t[1]);
			switch (n.status) {
				case X.Greater: {
					let n = Ll(e, t[2]);
					return n.status === X.Less ? { status: X.Absent } : n;
				}
				case X.Unknown: {
					let n = Ll(e, t[2]);
					return n.status === X.Less ? { status: X.Unknown } : n;
				}
				default: return n;
			}
		}
		case Y.Pruned: return { status: X.Unknown };
		default: return { status: X.Absent };
	}
}
function Rl(e, t) {
	switch (t[0]) {
		case Y.Empty | Y.Pruned: return [];
		case Y.Leaf: return [e];
		case Y.Fork: return Rl(e, t[1]).concat(Rl(e, t[2]));
		case Y.Labeled: {
			let n = t[1], r = t[2];
			return Rl([...e, n], r);
		}
		default: throw ar;
	}
}
function zl(e) {
	let t = Hl(Bl(e)), { canisterId: n } = e;
	return t.some((e) => e[0].ltEq(n) && e[1].gtEq(n));
}
function Bl(e) {
	let { subnetId: t, tree: n, canisterId: r } = e, i = Fl(["canister_ranges", t.toUint8Array()], n);
	if (i.status !== Nl.Found) return Vl(t, n);
	let a = i.value, o = Ul(a);
	if (o.length === 0) throw j.fromCode(new bn(r, t));
	o.sort(cr);
	let s = o[Wl(o, r)];
	return Gl(s, a);
}
function Vl(e, t) {
	let n = Pl([
		"subnet",
		e.toUint8Array(),
		"canister_ranges"
	], t);
	if (n.status !== Ml.Found) throw j.fromCode(new Sn(`Could not find canister ranges for subnet ${e.toText()}`, n.status));
	return n.value;
}
function Hl(e) {
	return ga(e).map((e) => [D.fromUint8Array(e[0]), D.fromUint8Array(e[1])]);
}
function Ul(e) {
	let t = [];
	for (let n of Rl([], e)) {
		let e = n[0];
		if (!e) throw j.fromCode(new _n("Path is invalid"));
		t.push(e);
	}
	return t;
}
function Wl(e, t) {
	let n = t.toUint8Array(), r = 0, i = e.length - 1;
	for (; r < i;) {
		let t = Math.floor((r + i) / 2);
		cr(e[t], n) <= 0 ? i = t : r = t + 1;
	}
	return r;
}
function Gl(e, t) {
	let n = Pl([e], t);
	if (n.status !== Ml.Found) throw j.fromCode(new Sn(`Could not find canister range for shard ${e.toString()}`, n.status));
	return n.value;
}
function Kl(e, t) {
	return e.delegation ? D.fromUint8Array(e.delegation.subnet_id) : D.selfAuthenticating(t);
}
// node_modules/@icp-sdk/core/lib/esm/agent/utils/readState.js
var ql = D.fromText("tdb26-jop6k-aogll-7ltgs-eruif-6kk7m-qpktf-gdiqx-mxtrf-vb5e6-eqe"), Jl = class {
	constructor(e, t) {
		this.decode = t, this.key = Symbol();
		let n = Array.isArray(e) ? e : [e];
		this.path = n.map((e) => typeof e == "string" ? De(e) : e);
	}
}, Yl = {
	time: new Jl(["time"], ya),
	canisterControllers: (e) => new Jl([
		"canister",
		e.toUint8Array(),
		"controllers"
	], $l),
	canisterModuleHash: (e) => new Jl([
		"canister",
		e.toUint8Array(),
		"module_hash"
	], (e) => e),
	canisterCandid: (e) => Yl.canisterMetadataString(e, "candid:service"),
	canisterMetadataString: (e, t) => new Jl([
		"canister",
		e.toUint8Array(),
		"metadata",
		t
	], (e) => new TextDecoder().decode(e)),
	subnetCanisterRanges: (e) => new Jl([
		"subnet",
		e.toUint8Array(),
		"canister_ranges"
	], Hl),
	subnetPublicKey: (e) => new Jl([
		"subnet",
		e.toUint8Array(),
		"public_key"
	], (e) => e)
}, Xl = class {
	#e;
	constructor(e = /* @__PURE__ */ new Map()) {
		this.#e = e;
	}
	get(e) {
		return this.#e.get(e.key) ?? null;
	}
};
function Zl(e) {
	return Array.isArray(e) ? e : e.path;
}
function Ql(e, t) {
	switch (t) {
		case "raw": return e;
		case "leb128": return va(e);
		case "cbor": return ga(e);
		case "hex": return E(e);
		case "utf-8": return new TextDecoder().decode(e);
	}
}
function $l(e) {
	return ga(e).map((e) => D.fromUint8Array(e));
}
function eu(e, t) {
	let n = Fl([
		"subnet",
		t.toUint8Array(),
		"node"
	], e.tree);
	if (n.status !== Nl.Found) throw j.fromCode(new Sn("Node not found", n.status));
	if (n.value instanceof Uint8Array) throw gn.fromCode(new Xn("Invalid node tree"));
	let r = Il(n.value), i = /* @__PURE__ */ new Map();
	return r.forEach((e) => {
		let t = D.from(e[1]).toText(), n = Pl(["public_key"], e[2]);
		if (n.status !== Ml.Found) throw j.fromCode(new Sn("Public key not found", n.status));
		let r = n.value;
		if (r.byteLength !== 44) throw j.fromCode(new Tn(44, r.byteLength));
		i.set(t, r);
	}), i;
}
// node_modules/@icp-sdk/core/lib/esm/agent/agent/api.js
var tu;
(function(e) {
	e[e.SysFatal = 1] = "SysFatal", e[e.SysTransient = 2] = "SysTransient", e[e.DestinationInvalid = 3] = "DestinationInvalid", e[e.CanisterReject = 4] = "CanisterReject", e[e.CanisterError = 5] = "CanisterError";
})(tu ||= {});
var nu;
(function(e) {
	e.Replied = "replied", e.Rejected = "rejected";
})(nu ||= {});
function ru(e) {
	return e != null && "reject_code" in e;
}
function iu(e) {
	return e != null && "certificate" in e;
}
// node_modules/@icp-sdk/core/lib/esm/agent/request_id.js
function au(e) {
	if (typeof e == "string") return ou(e);
	if (typeof e == "number") return Qe(P(e));
	if (e instanceof Uint8Array || ArrayBuffer.isView(e)) return Qe(dl(e));
	if (Array.isArray(e)) return Qe(ke(...e.map(au)));
	if (e && typeof e == "object" && e._isPrincipal) return Qe(e.toUint8Array());
	if (typeof e == "object" && e && typeof e.toHash == "function") return au(e.toHash());
	if (typeof e == "object") return cu(e);
	if (typeof e == "bigint") return Qe(P(e));
	throw M.fromCode(new zn(e));
}
var ou = (e) => Qe(new TextEncoder().encode(e));
function su(e) {
	return cu(e);
}
function cu(e) {
	return Qe(ke(...Object.entries(e).filter(([, e]) => e !== void 0).map(([e, t]) => [ou(e), au(t)]).sort(([e], [t]) => cr(e, t)).map((e) => ke(...e))));
}
// node_modules/@icp-sdk/core/lib/esm/agent/auth.js
var lu = class {
	getPrincipal() {
		return this._principal ||= D.selfAuthenticating(new Uint8Array(this.getPublicKey().toDer())), this._principal;
	}
	async transformRequest(e) {
		let { body: t, ...n } = e, r = su(t);
		return {
			...n,
			body: {
				content: t,
				sender_pubkey: this.getPublicKey().toDer(),
				sender_sig: await this.sign(ke(ml, r))
			}
		};
	}
}, uu = class {
	getPrincipal() {
		return D.anonymous();
	}
	async transformRequest(e) {
		return {
			...e,
			body: { content: e.body }
		};
	}
}, du = () => {
	if (typeof window < "u" && window.crypto && window.crypto.getRandomValues) {
		let e = /* @__PURE__ */ new Uint32Array(1);
		return window.crypto.getRandomValues(e), e[0];
	}
	if (typeof crypto < "u" && crypto.getRandomValues) {
		let e = /* @__PURE__ */ new Uint32Array(1);
		return crypto.getRandomValues(e), e[0];
	}
	return typeof crypto < "u" && crypto.randomInt ? crypto.randomInt(0, 4294967295) : Math.floor(Math.random() * 4294967295);
}, fu;
(function(e) {
	e.Query = "read", e.ReadState = "read_state", e.Call = "call";
})(fu ||= {});
var pu;
(function(e) {
	e.Call = "call";
})(pu ||= {});
var mu;
(function(e) {
	e.Query = "query", e.ReadState = "read_state";
})(mu ||= {});
var hu;
(function(e) {
	e.Received = "received", e.Processing = "processing", e.Replied = "replied", e.Rejected = "rejected", e.Unknown = "unknown", e.Done = "done";
})(hu ||= {});
function gu() {
	let e = /* @__PURE__ */ new ArrayBuffer(16), t = new DataView(e), n = du(), r = du(), i = du(), a = du();
	return t.setUint32(0, n), t.setUint32(4, r), t.setUint32(8, i), t.setUint32(12, a), Object.assign(new Uint8Array(e), { __nonce__: void 0 });
}
// node_modules/@icp-sdk/core/lib/esm/agent/agent/http/transforms.js
function _u(e = gu) {
	return async (t) => {
		let n = t.request.headers;
		t.request.headers = n, t.endpoint === fu.Call && (t.body.nonce = e());
	};
}
function vu(e) {
	let t = [];
	return e.forEach((e, n) => {
		t.push([n, e]);
	}), t;
}
// node_modules/@icp-sdk/core/lib/esm/agent/canisterStatus/index.js
var yu = (e, t) => {
	switch (e) {
		case "time": return Yl.time;
		case "controllers": return Yl.canisterControllers(t);
		case "module_hash": return new Jl(Yl.canisterModuleHash(t).path, E);
		case "candid": return Yl.canisterCandid(t);
	}
}, bu = (e, t) => {
	let n = (t) => Ql(t, e.decodeStrategy);
	return typeof e.path == "string" || e.path instanceof Uint8Array ? new Jl([
		"canister",
		t.toUint8Array(),
		"metadata",
		e.path
	], n) : new Jl(e.path, n);
}, xu = async (e) => {
	let { agent: t, paths: n, disableCertificateTimeVerification: r = !1 } = e, i = D.from(e.canisterId), a = [...new Set(n ?? [])], o = /* @__PURE__ */ new Map(), s = (e) => typeof e == "string" ? e : e.key, c = a.map(async (e) => {
		try {
			if (t.rootKey === null) throw hn.fromCode(new Rn());
			let n = t.rootKey;
			if (e === "subnet") {
				let e = await t.readState({ canisterId: i }, {
					paths: [[De("subnet")]],
					disableTimeVerification: r
				});
				o.set("subnet", Su(e.certificate, i, n));
				return;
			}
			let a = typeof e == "string" ? yu(e, i) : bu(e, i), { values: c } = await t.readState({ canisterId: i }, {
				paths: [a],
				disableTimeVerification: r
			});
			o.set(s(e), c.get(a));
		} catch (t) {
			if (t instanceof un && (t.hasCode(_n) || t.hasCode(vn) || t.hasCode(Rn))) throw t;
			o.set(s(e), null);
		}
	});
	return await Promise.all(c), o;
}, Su = (e, t, n) => {
	if (!t._isPrincipal) throw M.fromCode(new Jn("Invalid canisterId"));
	let r = ga(e), { delegation: i } = r, a;
	a = i && i.subnet_id ? D.fromUint8Array(new Uint8Array(i.subnet_id)) : !i && n !== void 0 ? D.selfAuthenticating(new Uint8Array(n)) : ql;
	let o = eu(r, a);
	return {
		subnetId: a.toText(),
		nodeKeys: o
	};
}, Cu = (e, t) => {
	switch (e) {
		case "time": return Yl.time;
		case "publicKey": return Yl.subnetPublicKey(t);
		case "canisterRanges": return Yl.subnetCanisterRanges(t);
	}
}, wu = (e, t) => {
	let n = (t) => Ql(t, e.decodeStrategy);
	return typeof e.path == "string" || e.path instanceof Uint8Array ? new Jl([
		"subnet",
		t.toUint8Array(),
		e.path
	], n) : new Jl(e.path, n);
};
async function Tu(e) {
	let { agent: t, paths: n, disableCertificateTimeVerification: r = !1 } = e, i = D.from(e.subnetId), a = [...new Set(n ?? [])], o = /* @__PURE__ */ new Map(), s = (e) => typeof e == "string" ? e : e.key, c = a.map(async (e) => {
		try {
			if (e === "nodeKeys") {
				let { verifiedCertificate: e } = await t.readState({ subnetId: i }, {
					paths: [[
						De("subnet"),
						i.toUint8Array(),
						De("node")
					]],
					disableTimeVerification: r
				});
				o.set("nodeKeys", eu(e.cert, i));
				return;
			}
			let n = typeof e == "string" ? Cu(e, i) : wu(e, i), { values: a } = await t.readState({ subnetId: i }, {
				paths: [n],
				disableTimeVerification: r
			});
			o.set(s(e), a.get(n));
		} catch (t) {
			if (t instanceof un && (t.hasCode(_n) || t.hasCode(vn) || t.hasCode(Rn))) throw t;
			o.set(s(e), null);
		}
	});
	return await Promise.all(c), o;
}
// node_modules/@icp-sdk/core/lib/esm/agent/utils/certificateReject.js
function Eu(e, t, n) {
	let r = new Uint8Array(Ol(e.lookup_path([...t, "reject_code"])))[0], i = new TextDecoder().decode(Ol(e.lookup_path([...t, "reject_message"]))), a = Ol(e.lookup_path([...t, "error_code"]));
	return new Pn(n, r, i, a ? new TextDecoder().decode(a) : void 0);
}
// node_modules/@noble/curves/abstract/edwards.js
var Du = /* @__PURE__ */ BigInt(0), Ou = /* @__PURE__ */ BigInt(1), ku = /* @__PURE__ */ BigInt(2), Au = /* @__PURE__ */ BigInt(4), ju = /* @__PURE__ */ BigInt(8);
function Mu(e, t, n, r) {
	let i = e.sqr(n), a = e.sqr(r), o = e.add(e.mul(t.a, i), a), s = e.add(e.ONE, e.mul(t.d, e.mul(i, a)));
	return e.eql(o, s);
}
function Nu(e, t = {}) {
	Ya(t, {}, {}, "extraOpts");
	let n = t, r = ts("edwards", e, n, n.FpFnLE), { Fp: i, Fn: a } = r, o = r.CURVE, { h: s } = o;
	if (Co(i, o.a) !== 1) throw Error("edwards: CURVE.a must be a square in Fp for complete addition formulas");
	if (Co(i, o.d) !== -1) throw Error("edwards: CURVE.d must be a non-square in Fp for complete addition formulas");
	Ya(n, {}, {
		uvRatio: "function",
		randomBytes: "function"
	});
	let c = n.randomBytes === void 0 ? Oa : n.randomBytes, l = ku << BigInt(i.BYTES * 8) - Ou;
	function u(e) {
		if (!i.isOdd) throw Error("Field does not have .isOdd()");
		return i.isOdd(e);
	}
	let d = n.uvRatio === void 0 ? (e, t) => {
		try {
			return {
				isValid: !0,
				value: i.sqrt(i.div(e, t))
			};
		} catch {
			return {
				isValid: !1,
				value: Du
			};
		}
	} : n.uvRatio;
	if (!Mu(i, o, o.Gx, o.Gy)) throw Error("bad curve params: generator point");
	let f = i.eql(o.a, i.neg(i.ONE)) ? (e) => i.neg(e) : i.eql(o.a, i.ONE) ? (e) => e : (e) => i.mul(o.a, e);
	function p(e, t, n = !1) {
		let r = n ? Ou : Du;
		return Wa("coordinate " + e, t, r, l), t;
	}
	function m(e) {
		if (!(e instanceof h)) throw Error("EdwardsPoint expected");
	}
	class h {
		static BASE = new h(o.Gx, o.Gy, i.ONE, i.mul(o.Gx, o.Gy));
		static ZERO = new h(i.ZERO, i.ONE, i.ONE, i.ZERO);
		static Fp = i;
		static Fn = a;
		X;
		Y;
		Z;
		T;
		constructor(e, t, n, r) {
			this.X = p("x", e), this.Y = p("y", t), this.Z = p("z", n, !0), this.T = p("t", r), Object.freeze(this);
		}
		static CURVE() {
			return o;
		}
		static fromAffine(e) {
			if (e instanceof h) throw Error("extended point not allowed");
			let { x: t, y: n } = e || {};
			return p("x", t), p("y", n), new h(t, n, i.ONE, i.mul(t, n));
		}
		static fromBytes(e, t = !1) {
			let n = i.BYTES, { a: r, d: a } = o;
			e = Ba(z(e, n, "point")), Ma(t, "zip215");
			let s = Ba(e), c = e[n - 1];
			s[n - 1] = c & -129;
			let f = La(s);
			Wa("point.y", f, Du, t ? l : i.ORDER);
			let p = i.sqr(f), m = i.sub(p, i.ONE), g = i.sub(i.mulN(a, p), r), { isValid: _, value: v } = d(m, g);
			if (!_) throw Error("bad point: invalid y coordinate");
			let y = u(v), b = !!(c & 128);
			if (!t && i.is0(v) && b) throw Error("bad point: x=0 and x_0=1");
			return b !== y && (v = i.neg(v)), h.fromAffine({
				x: v,
				y: f
			});
		}
		static fromHex(e, t = !1) {
			return h.fromBytes(Ea(e), t);
		}
		get x() {
			return this.toAffine().x;
		}
		get y() {
			return this.toAffine().y;
		}
		precompute(e = 6, t = !0) {
			return _.setWindowSize(this, e), t || this.multiply(ku), this;
		}
		assertValidity() {
			let e = this, { a: t, d: n } = o;
			if (e.is0()) throw Error("bad point: ZERO");
			let { X: r, Y: a, Z: s, T: c } = e, l = i.sqr(r), u = i.sqr(a), d = i.sqr(s), f = i.sqr(d), p = i.mul(l, t), m = i.mul(i.add(p, u), d), h = i.add(f, i.mul(n, i.mul(l, u)));
			if (!i.eql(m, h)) throw Error("bad point: equation left != right (1)");
			let g = i.mul(r, a), _ = i.mul(s, c);
			if (!i.eql(g, _)) throw Error("bad point: equation left != right (2)");
		}
		equals(e) {
			m(e);
			let { X: t, Y: n, Z: r } = this, { X: a, Y: o, Z: s } = e, c = i.mul(t, s), l = i.mul(a, r), u = i.mul(n, s), d = i.mul(o, r);
			return i.eql(c, l) && i.eql(u, d);
		}
		is0() {
			return this.equals(h.ZERO);
		}
		negate() {
			return new h(i.neg(this.X), this.Y, this.Z, i.neg(this.T));
		}
		double() {
			let { X: e, Y: t, Z: n } = this, r = i.sqr(e), a = i.sqr(t), o = i.mul(i.sqr(n), ku), s = f(r), c = i.addN(e, t), l = i.sub(i.subN(i.sqr(c), r), a), u = i.addN(s, a), d = i.subN(u, o), p = i.subN(s, a), m = i.mul(l, d), g = i.mul(u, p), _ = i.mul(l, p), v = i.mul(d, u);
			return new h(m, g, v, _);
		}
		add(e) {
			m(e);
			let { d: t } = o, { X: n, Y: r, Z: a, T: s } = this, { X: c, Y: l, Z: u, T: d } = e, p = i.mul(n, c), g = i.mul(r, l), _ = i.mul(i.mulN(s, t), d), v = i.mul(a, u), y = i.sub(i.subN(i.mulN(i.addN(n, r), i.addN(c, l)), p), g), b = i.subN(v, _), ee = i.addN(v, _), x = i.sub(g, f(p)), te = i.mul(y, b), ne = i.mul(ee, x), S = i.mul(y, x), C = i.mul(b, ee);
			return new h(te, ne, C, S);
		}
		subtract(e) {
			return m(e), this.add(e.negate());
		}
		multiply(e) {
			if (!a.isValidNot0(e)) throw RangeError("invalid scalar: expected 1 <= sc < curve.n");
			let { p: t, f: n } = _.mulSecret(this, e, s, g);
			return g([t, n])[0];
		}
		multiplyUnsafe(e) {
			if (!a.isValid(e)) throw RangeError("invalid scalar: expected 0 <= sc < curve.n");
			return e === Du ? h.ZERO : this.is0() || e === Ou ? this : _.mulUnsafe(this, e, g);
		}
		isSmallOrder() {
			return this.clearCofactor().is0();
		}
		isTorsionFree() {
			return _.mulUnsafe(this, o.n).is0();
		}
		toAffine(e) {
			let t = this, n = e;
			if (n != null && typeof n != "bigint") throw TypeError("\"invertedZ\" expected bigint, got type=" + typeof n);
			let { X: r, Y: a, Z: o } = t, s = t.is0();
			n ??= s ? i.create(ju) : i.inv(o);
			let c = i.mul(r, n), l = i.mul(a, n), u = i.mul(o, n);
			if (s) return {
				x: i.ZERO,
				y: i.ONE
			};
			if (!i.eql(u, i.ONE)) throw Error("invZ was invalid");
			return {
				x: c,
				y: l
			};
		}
		clearCofactor() {
			return s === Ou ? this : s === ku ? this.double() : s === Au ? this.double().double() : s === ju ? this.double().double().double() : this.multiplyUnsafe(s);
		}
		toBytes() {
			let { x: e, y: t } = this.toAffine(), n = i.toBytes(t);
			return n[n.length - 1] |= u(e) ? 128 : 0, n;
		}
		toHex() {
			return Ta(this.toBytes());
		}
		toString() {
			return `<Point ${this.is0() ? "ZERO" : this.toHex()}>`;
		}
	}
	let g = (e) => Bo(h, e), _ = new Qo(h, c);
	return _.bits >= 6 && h.BASE.precompute(6), Object.freeze(h.prototype), Object.freeze(h), h;
}
function Pu(e, t, n = {}) {
	if (zo(e), typeof t != "function") throw Error("\"hash\" function param is required");
	let r = t, i = n;
	Ya(i, {}, {
		adjustScalarBytes: "function",
		randomBytes: "function",
		domain: "function",
		prehash: "function",
		zip215: "boolean",
		mapToCurve: "function",
		toMontgomery: "function",
		toMontgomerySecret: "function"
	});
	let { prehash: a } = i, { BASE: o, Fp: s, Fn: c } = e, l = r.outputLen, u = 2 * s.BYTES;
	if (l !== void 0 && (V(l, "hash.outputLen"), l !== u)) throw Error(`hash.outputLen must be ${u}, got ${l}`);
	let d = i.randomBytes === void 0 ? Oa : i.randomBytes, f = i.toMontgomery, p = i.toMontgomerySecret, m = i.adjustScalarBytes === void 0 ? (e) => e : i.adjustScalarBytes, h = i.domain === void 0 ? (e, t, n) => {
		if (Ma(n, "phflag"), t.length || n) throw Error("Contexts/pre-hash are not supported");
		return e;
	} : i.domain;
	function g(e) {
		return c.create(La(e));
	}
	function _(e) {
		let t = S.secretKey;
		z(e, S.secretKey, "secretKey");
		let n = z(r(e), 2 * t, "hashedSecretKey"), i = m(n.slice(0, t));
		return {
			head: i,
			prefix: n.slice(t, 2 * t),
			scalar: g(i)
		};
	}
	function v(e) {
		let { head: t, prefix: n, scalar: r } = _(e), i = o.multiply(r);
		return {
			head: t,
			prefix: n,
			scalar: r,
			point: i,
			pointBytes: i.toBytes()
		};
	}
	function y(e) {
		return v(e).pointBytes;
	}
	function b(e = Uint8Array.of(), ...t) {
		let n = B(...t);
		return g(r(h(n, z(e, void 0, "context"), !!a)));
	}
	function ee(e, t, n = {}) {
		Ya(n, {}, {}, "options"), e = Ba(z(e, void 0, "message")), a && (e = a(e));
		let { prefix: r, scalar: i, pointBytes: s } = v(t), l = b(n.context, r, e), u = o.multiply(l).toBytes(), d = b(n.context, u, s, e), f = c.create(l + d * i);
		if (!c.isValid(f)) throw Error("sign failed: invalid s");
		return z(B(u, c.toBytes(f)), S.signature, "result");
	}
	let x = { zip215: i.zip215 };
	function te(t, n, r, i = x) {
		Ya(i);
		let { context: s } = i, c = i.zip215 === void 0 ? !!x.zip215 : i.zip215, l = S.signature;
		t = z(t, l, "signature"), n = z(n, void 0, "message"), r = z(r, S.publicKey, "publicKey"), c !== void 0 && Ma(c, "zip215"), a && (n = a(n));
		let u = l / 2, d = t.subarray(0, u), f = La(t.subarray(u, l)), p, m, h;
		try {
			p = e.fromBytes(r, c), m = e.fromBytes(d, c), h = o.multiplyUnsafe(f);
		} catch {
			return !1;
		}
		if (!c && p.isSmallOrder()) return !1;
		let g = b(s, d, r, n);
		return m.add(p.multiplyUnsafe(g)).subtract(h).clearCofactor().is0();
	}
	let ne = s.BYTES, S = {
		secretKey: ne,
		publicKey: ne,
		signature: 2 * ne,
		seed: ne
	};
	function C(e) {
		return e = e === void 0 ? d(S.seed) : e, z(e, S.seed, "seed");
	}
	function re(e) {
		return Da(e) && e.length === S.secretKey;
	}
	function ie(t, n) {
		try {
			return !!e.fromBytes(t, n === void 0 ? x.zip215 : n);
		} catch {
			return !1;
		}
	}
	let w = {
		getExtendedPublicKey: v,
		randomSecretKey: C,
		isValidSecretKey: re,
		isValidPublicKey: ie,
		toMontgomery(t) {
			if (f === void 0) throw Error("Montgomery conversion is not supported for this curve");
			return f(e.fromBytes(t));
		},
		toMontgomerySecret(e) {
			if (p === void 0) throw Error("Montgomery conversion is not supported for this curve");
			return p(e);
		}
	};
	return Object.freeze(S), Object.freeze(w), Object.freeze({
		keygen: ns(C, y),
		getPublicKey: y,
		sign: ee,
		verify: te,
		utils: w,
		Point: e,
		lengths: S
	});
}
// node_modules/@noble/curves/ed25519.js
var Fu = /* @__PURE__ */ BigInt(1), Iu = /* @__PURE__ */ BigInt(2), Lu = /* @__PURE__ */ BigInt(5), Ru = /* @__PURE__ */ BigInt(8), zu = /* @__PURE__ */ BigInt("0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed"), Bu = {
	p: zu,
	n: BigInt("0x1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed"),
	h: Ru,
	a: BigInt("0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffec"),
	d: BigInt("0x52036cee2b6ffe738cc740797779e89800700a4d4141d8ab75eb4dca135978a3"),
	Gx: BigInt("0x216936d3cd6e53fec0a4e231fdd6dc5c692cc7609525a7b2c9562d608f25d51a"),
	Gy: BigInt("0x6666666666666666666666666666666666666666666666666666666666666658")
};
function Vu(e) {
	let t = BigInt(10), n = BigInt(20), r = BigInt(40), i = BigInt(80), a = zu, o = e * e % a * e % a, s = G(G(o, Iu, a) * o % a, Fu, a) * e % a, c = G(s, Lu, a) * s % a, l = G(c, t, a) * c % a, u = G(l, n, a) * l % a, d = G(u, r, a) * u % a;
	return {
		pow_p_5_8: G(G(G(G(d, i, a) * d % a, i, a) * d % a, t, a) * c % a, Iu, a) * e % a,
		b2: o
	};
}
function Hu(e) {
	return e[0] &= 248, e[31] &= 127, e[31] |= 64, e;
}
var Uu = /* @__PURE__ */ BigInt("19681161376707505956807079304988542015446066515923890162744021073123829784752");
function Wu(e, t) {
	let n = zu, r = W(t * t * t, n), i = Vu(e * W(r * r * t, n)).pow_p_5_8, a = W(e * r * i, n), o = W(t * a * a, n), s = a, c = W(a * Uu, n), l = o === e, u = o === W(-e, n), d = o === W(-e * Uu, n);
	return l && (a = s), (u || d) && (a = c), vo(a, n) && (a = W(-a, n)), {
		isValid: l || u,
		value: a
	};
}
var Gu = /* @__PURE__ */ Nu(Bu, { uvRatio: Wu }), Ku = Gu.Fp;
function qu(e) {
	let { y: t } = e;
	return Ku.toBytes(Ku.div(Fu + t, Fu - t));
}
function Ju(e) {
	let t = Gu.Fp.BYTES;
	return pe(e, t), Hu(et(e.subarray(0, t))).subarray(0, t);
}
function Yu(e) {
	return Pu(Gu, et, Object.assign({
		adjustScalarBytes: Hu,
		toMontgomery: qu,
		toMontgomerySecret: Ju,
		zip215: !0
	}, e));
}
var Xu = /* @__PURE__ */ Yu({});
// node_modules/@icp-sdk/core/lib/esm/agent/utils/expirableStore.js
function Zu(e) {
	if (!Number.isFinite(e) || e <= 0) throw Error(`expirationTime must be a positive finite number, got ${e}`);
}
// node_modules/@icp-sdk/core/lib/esm/agent/utils/indexedDBExpirableStore.js
var Qu = class {
	#e;
	#t;
	#n = null;
	constructor(e) {
		if (globalThis.indexedDB === void 0) throw Error("IndexedDBExpirableStore requires IndexedDB, which is not available in this environment");
		Zu(e.expirationTime), this.#e = e.dbName, this.#t = e.storeName, this.expirationTime = e.expirationTime;
	}
	#r() {
		return this.#n ||= this.#i().catch((e) => {
			throw this.#n = null, e;
		}), this.#n;
	}
	async #i() {
		let e = await this.#a();
		if (e.objectStoreNames.contains(this.#t)) return e;
		let t = e.version + 1;
		return e.close(), this.#a(t);
	}
	#a(e) {
		let t = this.#t;
		return new Promise((n, r) => {
			let i = globalThis.indexedDB.open(this.#e, e);
			i.onupgradeneeded = () => {
				let e = i.result;
				e.objectStoreNames.contains(t) || e.createObjectStore(t, { keyPath: "key" });
			}, i.onsuccess = () => {
				let e = i.result;
				e.onversionchange = () => {
					e.close(), this.#n = null;
				}, n(e);
			}, i.onerror = () => r(i.error);
		});
	}
	async get(e) {
		let t = await this.#r();
		return new Promise((n, r) => {
			let i = t.transaction(this.#t, "readonly").objectStore(this.#t).get(e);
			i.onsuccess = () => {
				let t = i.result;
				t ? Date.now() - t.timestamp > this.expirationTime ? this.delete(e).then(() => n(void 0), () => n(void 0)) : n(t.value) : n(void 0);
			}, i.onerror = () => r(i.error);
		});
	}
	async set(e, t) {
		await this.#o();
		let n = await this.#r();
		return new Promise((r, i) => {
			let a = n.transaction(this.#t, "readwrite"), o = a.objectStore(this.#t), s = {
				key: e,
				value: t,
				timestamp: Date.now()
			};
			o.put(s), a.oncomplete = () => r(), a.onerror = () => i(a.error);
		});
	}
	async delete(e) {
		let t = await this.#r();
		return new Promise((n, r) => {
			let i = t.transaction(this.#t, "readwrite");
			i.objectStore(this.#t).delete(e), i.oncomplete = () => n(), i.onerror = () => r(i.error);
		});
	}
	async #o() {
		let e = await this.#r(), t = Date.now();
		return new Promise((n, r) => {
			let i = e.transaction(this.#t, "readwrite"), a = i.objectStore(this.#t).openCursor();
			a.onsuccess = () => {
				let e = a.result;
				if (!e) return;
				let n = e.value;
				t - n.timestamp > this.expirationTime && e.delete(), e.continue();
			}, i.oncomplete = () => n(), i.onerror = () => r(i.error);
		});
	}
}, $u = class {
	#e;
	constructor(e) {
		Zu(e.expirationTime), this.expirationTime = e.expirationTime, this.#e = /* @__PURE__ */ new Map();
	}
	get(e) {
		let t = this.#e.get(e);
		return t ? Date.now() - t.timestamp > this.expirationTime ? (this.#e.delete(e), Promise.resolve(void 0)) : Promise.resolve(t.value) : Promise.resolve(void 0);
	}
	set(e, t) {
		return this.#t(), this.#e.set(e, {
			value: t,
			timestamp: Date.now()
		}), Promise.resolve();
	}
	delete(e) {
		return this.#e.delete(e), Promise.resolve();
	}
	#t() {
		let e = Date.now();
		for (let [t, n] of this.#e) e - n.timestamp > this.expirationTime && this.#e.delete(t);
	}
};
// node_modules/@icp-sdk/core/lib/esm/agent/utils/createExpirableStore.js
function ed(e) {
	return globalThis.indexedDB === void 0 ? new $u({ expirationTime: e.expirationTime }) : new Qu(e);
}
// node_modules/@icp-sdk/core/lib/esm/agent/der.js
var td = (e) => {
	if (e <= 127) return 1;
	if (e <= 255) return 2;
	if (e <= 65535) return 3;
	if (e <= 16777215) return 4;
	throw M.fromCode(new kn("Length too long (> 4 bytes)"));
}, nd = (e, t, n) => {
	if (n <= 127) return e[t] = n, 1;
	if (n <= 255) return e[t] = 129, e[t + 1] = n, 2;
	if (n <= 65535) return e[t] = 130, e[t + 1] = n >> 8, e[t + 2] = n, 3;
	if (n <= 16777215) return e[t] = 131, e[t + 1] = n >> 16, e[t + 2] = n >> 8, e[t + 3] = n, 4;
	throw M.fromCode(new kn("Length too long (> 4 bytes)"));
}, rd = (e, t) => {
	if (e[t] < 128) return 1;
	if (e[t] === 128) throw M.fromCode(new On("Invalid length 0"));
	if (e[t] === 129) return 2;
	if (e[t] === 130) return 3;
	if (e[t] === 131) return 4;
	throw M.fromCode(new On("Length too long (> 4 bytes)"));
}, id = (e, t) => {
	let n = rd(e, t);
	if (n === 1) return e[t];
	if (n === 2) return e[t + 1];
	if (n === 3) return (e[t + 1] << 8) + e[t + 2];
	if (n === 4) return (e[t + 1] << 16) + (e[t + 2] << 8) + e[t + 3];
	throw M.fromCode(new On("Length too long (> 4 bytes)"));
};
Uint8Array.from([
	48,
	12,
	6,
	10,
	43,
	6,
	1,
	4,
	1,
	131,
	184,
	67,
	1,
	1
]);
var ad = Uint8Array.from([
	48,
	5,
	6,
	3,
	43,
	101,
	112
]);
Uint8Array.from([
	48,
	16,
	6,
	7,
	42,
	134,
	72,
	206,
	61,
	2,
	1,
	6,
	5,
	43,
	129,
	4,
	0,
	10
]), Uint8Array.from([
	48,
	29,
	6,
	13,
	43,
	6,
	1,
	4,
	1,
	130,
	220,
	124,
	5,
	3,
	1,
	2,
	1,
	6,
	12,
	43,
	6,
	1,
	4,
	1,
	130,
	220,
	124,
	5,
	3,
	2,
	1
]);
function od(e, t) {
	let n = 2 + td(e.byteLength + 1), r = t.byteLength + n + e.byteLength, i = 0, a = new Uint8Array(1 + td(r) + r);
	return a[i++] = 48, i += nd(a, i, r), a.set(t, i), i += t.byteLength, a[i++] = 3, i += nd(a, i, e.byteLength + 1), a[i++] = 0, a.set(new Uint8Array(e), i), a;
}
var sd = (e, t) => {
	let n = 0, r = (e, t) => {
		if (i[n++] !== e) throw M.fromCode(new On(`Expected ${t} at offset ${n}`));
	}, i = new Uint8Array(e);
	if (r(48, "sequence"), n += rd(i, n), !fl(i.slice(n, n + t.byteLength), t)) throw M.fromCode(new On("Not the expected OID."));
	n += t.byteLength, r(3, "bit string");
	let a = id(i, n) - 1;
	n += rd(i, n), r(0, "0 padding");
	let o = i.slice(n);
	if (a !== o.length) throw M.fromCode(new Dn(a, o.length));
	return o;
}, cd = class e {
	static from(e) {
		return this.fromDer(e.toDer());
	}
	static fromRaw(t) {
		return new e(t);
	}
	static fromDer(t) {
		return new e(this.derDecode(t));
	}
	static {
		this.RAW_KEY_LENGTH = 32;
	}
	static derEncode(e) {
		return od(e, ad);
	}
	static derDecode(e) {
		let t = sd(e, ad);
		if (t.length !== this.RAW_KEY_LENGTH) throw M.fromCode(new On("An Ed25519 public key must be exactly 32 bytes long"));
		return t;
	}
	#e;
	get rawKey() {
		return this.#e;
	}
	#t;
	get derKey() {
		return this.#t;
	}
	constructor(t) {
		if (t.byteLength !== e.RAW_KEY_LENGTH) throw M.fromCode(new On("An Ed25519 public key must be exactly 32 bytes long"));
		this.#e = t.slice(), this.#t = e.derEncode(this.#e);
	}
	toDer() {
		return this.derKey;
	}
	toRaw() {
		return this.rawKey;
	}
}, ld = class {
	constructor() {
		this.observers = [];
	}
	subscribe(e) {
		this.observers.push(e);
	}
	unsubscribe(e) {
		this.observers = this.observers.filter((t) => t !== e);
	}
	notify(e, ...t) {
		this.observers.forEach((n) => n(e, ...t));
	}
}, ud = class extends ld {
	constructor() {
		super();
	}
	print(e, ...t) {
		this.notify({
			message: e,
			level: "info"
		}, ...t);
	}
	warn(e, ...t) {
		this.notify({
			message: e,
			level: "warn"
		}, ...t);
	}
	error(e, t, ...n) {
		this.notify({
			message: e,
			level: "error",
			error: t
		}, ...n);
	}
}, dd = .5, fd = 1.5, pd = 500, md = 6e4, hd = 9e5, gd = 10, _d = class e {
	#e;
	#t;
	#n;
	#r;
	#i;
	#a;
	#o;
	#s;
	#c = 0;
	static {
		this.default = {
			initialInterval: pd,
			randomizationFactor: dd,
			multiplier: fd,
			maxInterval: md,
			maxElapsedTime: hd,
			maxIterations: gd,
			date: Date
		};
	}
	constructor(t = e.default) {
		let { initialInterval: n = pd, randomizationFactor: r = dd, multiplier: i = fd, maxInterval: a = md, maxElapsedTime: o = hd, maxIterations: s = gd, date: c = Date } = t;
		this.#e = n, this.#t = r, this.#n = i, this.#r = a, this.#s = c, this.#i = c.now(), this.#a = o, this.#o = s;
	}
	get ellapsedTimeInMsec() {
		return this.#s.now() - this.#i;
	}
	get currentInterval() {
		return this.#e;
	}
	get count() {
		return this.#c;
	}
	get randomValueFromInterval() {
		let e = this.#t * this.#e, t = this.#e - e, n = this.#e + e;
		return Math.random() * (n - t) + t;
	}
	incrementCurrentInterval() {
		return this.#e = Math.min(this.#e * this.#n, this.#r), this.#c++, this.#e;
	}
	next() {
		return this.ellapsedTimeInMsec >= this.#a || this.#c >= this.#o ? null : (this.incrementCurrentInterval(), this.randomValueFromInterval);
	}
}, vd = 3e5;
function yd() {
	return wd(xd(bd(), 1e3), Cd(1e3, 1.2), Sd(vd));
}
function bd() {
	let e = !0;
	return async () => e ? (e = !1, !0) : !1;
}
function xd(e, t) {
	return async (n, r, i) => {
		if (await e(n, r, i)) return new Promise((e) => setTimeout(e, t));
	};
}
function Sd(e) {
	let t = Date.now() + e;
	return async (n, r, i) => {
		if (Date.now() > t) throw j.fromCode(new Mn(`Request timed out after ${e} msec`, r, i));
	};
}
function Cd(e, t) {
	let n = e;
	return () => new Promise((e) => setTimeout(() => {
		n *= t, e();
	}, n));
}
function wd(...e) {
	return async (t, n, r) => {
		for (let i of e) await i(t, n, r);
	};
}
// node_modules/@icp-sdk/core/lib/esm/agent/utils/target.js
function Td(e) {
	return "canisterId" in e ? { canisterId: D.from(e.canisterId) } : { subnetId: D.from(e.subnetId) };
}
function Ed(e) {
	return "canisterId" in e ? `canister:${e.canisterId.toText()}` : `subnet:${e.subnetId.toText()}`;
}
// node_modules/@icp-sdk/core/lib/esm/agent/polling/index.js
var Dd = { preSignReadStateRequest: !1 };
function Od(e, t) {
	return Object.prototype.hasOwnProperty.call(e, t);
}
function kd(e, t) {
	return typeof e == "object" && !!e && Od(e, t);
}
function Ad(e, t) {
	return Od(e, t) && typeof e[t] == "function";
}
function jd(e) {
	return kd(e, "body") && kd(e.body, "content") && e.body.content.request_type === mu.ReadState && kd(e.body.content, "ingress_expiry") && typeof e.body.content.ingress_expiry == "object" && e.body.content.ingress_expiry !== null && Ad(e.body.content.ingress_expiry, "toHash");
}
async function Md(e, t, n, r = {}) {
	(typeof t == "string" || t instanceof D) && (t = { canisterId: D.from(t) });
	let i = Td(t), a = [De("request_status"), n], o, s;
	r.preSignReadStateRequest ?? !1 ? (s = await Nd({
		paths: [a],
		agent: e,
		pollingOptions: r
	}), o = await e.readState(i, {
		paths: [a],
		blsVerify: r.blsVerify
	}, void 0, s)) : o = await e.readState(i, {
		paths: [a],
		blsVerify: r.blsVerify
	});
	let c = o.verifiedCertificate, l = Ol(c.lookup_path([...a, De("status")])), u;
	switch (u = l === void 0 ? hu.Unknown : new TextDecoder().decode(l), u) {
		case hu.Replied: return {
			reply: Ol(c.lookup_path([...a, "reply"])),
			certificate: c,
			rawCertificate: o.certificate
		};
		case hu.Received:
		case hu.Unknown:
		case hu.Processing: {
			let t = r.strategy ?? yd();
			return await t(i, n, u), Md(e, i, n, {
				...r,
				strategy: t,
				request: s
			});
		}
		case hu.Rejected: throw pn.fromCode(Eu(c, a, n));
		case hu.Done: throw gn.fromCode(new Ln(n));
	}
	throw ar;
}
async function Nd(e) {
	let { paths: t, agent: n, pollingOptions: r } = e;
	if (r.request && jd(r.request)) return r.request;
	let i = await n.createReadStateRequest?.({ paths: t }, void 0);
	if (!jd(i)) throw M.fromCode(new tr(i));
	return i;
}
// node_modules/@icp-sdk/core/lib/esm/agent/agent/http/index.js
var Pd = 6e4, Fd = 1e6, Id = 0, Ld = "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100814c0e6ec71fab583b08bd81373c255c3c371b2e84863c98a4f1e08b74235d14fb5d9c0cd546d9685f913a0c0b2cc5341583bf4b4392e467db96d65b9bb4cb717112f8472e0d5a4d14505ffd7484b01291091c5f87b98883463f98091a0baaae", Rd = "ic0.app", zd = ".ic0.app", Bd = "icp0.io", Vd = ".icp0.io", Hd = "icp-api.io", Ud = ".icp-api.io", Wd = 200, Gd = 202, Kd = 404;
function qd(e) {
	let t;
	if (e !== void 0) t = !e.match(/^[a-z]+:/) && typeof window < "u" ? new URL(`${window.location.protocol}//${e}`) : new URL(e);
	else {
		let e = [
			"ic0.app",
			"icp0.io",
			"127.0.0.1",
			"localhost"
		], n = [".github.dev", ".gitpod.io"], r = typeof window < "u" ? window.location : void 0, i = r?.hostname, a;
		i && typeof i == "string" && (a = n.some((e) => i.endsWith(e)) ? i : e.find((e) => i.endsWith(e))), t = r && a ? new URL(`${r.protocol}//${a}${r.port ? `:${r.port}` : ""}`) : new URL("https://icp-api.io");
	}
	return t.toString();
}
var Jd = class e {
	#e;
	#t;
	#n;
	#r;
	#i;
	#a;
	#o;
	#s;
	#c;
	#l;
	#u;
	#d;
	#f;
	#p;
	#m;
	get #h() {
		return this.#p * Pd;
	}
	#g;
	#_;
	#v;
	#y;
	constructor(e = {}) {
		if (this.#e = null, this.#t = !1, this.#n = Id, this.#r = !1, this.#i = null, this.#a = !1, this._isAgent = !0, this.config = {}, this.log = new ud(), this.#g = [], this.#_ = [], this.#v = /* @__PURE__ */ new Map(), this.#y = !0, this.#w = (e, t) => {
			if (this.#y === !1) return e;
			let { status: n, signatures: r = [], requestId: i } = e, a = t.size;
			if (r.length > a) throw j.fromCode(new Wn(r.length, a));
			for (let a of r) {
				let { timestamp: r, identity: o } = a, s = D.fromUint8Array(o).toText(), c;
				if (n === nu.Replied) {
					let { reply: t } = e;
					c = cu({
						status: n,
						reply: t,
						timestamp: BigInt(r),
						request_id: i
					});
				} else if (n === nu.Rejected) {
					let { reject_code: t, reject_message: a, error_code: o } = e;
					c = cu({
						status: n,
						reject_code: t,
						reject_message: a,
						error_code: o,
						timestamp: BigInt(r),
						request_id: i
					});
				} else throw gn.fromCode(new Jn(`Unknown status: ${n}`));
				let l = ke(hl, c), u = t.get(s);
				if (!u) throw j.fromCode(new Kn());
				let d = cd.fromDer(u).rawKey;
				if (!Xu.verify(a.signature, l, d)) throw fn.fromCode(new qn(s));
			}
			return e;
		}, this.config = e, e.fetch) this.#s = e.fetch;
		else {
			let e = globalThis.fetch;
			if (typeof e != "function") throw M.fromCode(new Hn());
			this.#s = e.bind(globalThis);
		}
		this.#c = e.fetchOptions, this.#l = e.callOptions, this.#t = e.shouldFetchRootKey ?? !1, this.#a = e.shouldSyncTime ?? !1, this.rootKey = e.rootKey ? e.rootKey : this.#t ? null : Ee(Ld);
		let t = qd(e.host);
		this.host = new URL(t), this.host.pathname.endsWith("/") || (this.host.pathname += "/"), this.host.hostname.endsWith(zd) ? this.host.hostname = Rd : this.host.hostname.endsWith(Vd) ? this.host.hostname = Bd : this.host.hostname.endsWith(Ud) && (this.host.hostname = Hd), e.verifyQuerySignatures !== void 0 && (this.#y = e.verifyQuerySignatures), this.#m = e.subnetNodeKeyExpirableStore ?? ed({
			dbName: `icp-sdk-${this.host.host}`,
			storeName: "subnetNodeKeys",
			expirationTime: 5 * Pd
		}), this.#d = e.retryTimes ?? 3;
		let n = () => new _d({ maxIterations: this.#d });
		if (this.#f = e.backoffStrategy || n, e.credentials) {
			let { name: t, password: n } = e.credentials;
			this.#u = `${t}${n ? `:${n}` : ""}`;
		}
		if (this.#o = Promise.resolve(e.identity || new uu()), e.ingressExpiryInMinutes && e.ingressExpiryInMinutes > 5) throw M.fromCode(new Vn("The maximum ingress expiry time is 5 minutes.", e.ingressExpiryInMinutes));
		if (e.ingressExpiryInMinutes && e.ingressExpiryInMinutes <= 0) throw M.fromCode(new Vn("Ingress expiry time must be greater than 0.", e.ingressExpiryInMinutes));
		this.#p = e.ingressExpiryInMinutes || 5, this.addTransform("update", _u(gu)), e.useQueryNonces && this.addTransform("query", _u(gu)), e.logToConsole && this.log.subscribe((e) => {
			e.level === "error" ? console.error(e.message) : e.level === "warn" ? console.warn(e.message) : console.log(e.message);
		});
	}
	static createSync(e = {}) {
		return new this({ ...e });
	}
	static async create(t = {}) {
		let n = e.createSync(t);
		return await n.#O(), n;
	}
	static async from(t) {
		try {
			return "config" in t ? await e.create(t.config) : await e.create({
				fetch: t._fetch,
				fetchOptions: t._fetchOptions,
				callOptions: t._callOptions,
				host: t._host.toString(),
				identity: t._identity ?? void 0
			});
		} catch {
			throw M.fromCode(new Un());
		}
	}
	isLocal() {
		let e = this.host.hostname;
		return e === "127.0.0.1" || e.endsWith("127.0.0.1");
	}
	addTransform(e, t, n = t.priority || 0) {
		if (e === "update") {
			let e = this.#_.findIndex((e) => (e.priority || 0) < n);
			this.#_.splice(e >= 0 ? e : this.#_.length, 0, Object.assign(t, { priority: n }));
		} else if (e === "query") {
			let e = this.#g.findIndex((e) => (e.priority || 0) < n);
			this.#g.splice(e >= 0 ? e : this.#g.length, 0, Object.assign(t, { priority: n }));
		}
	}
	async getPrincipal() {
		if (!this.#o) throw hn.fromCode(new Bn());
		return (await this.#o).getPrincipal();
	}
	async call(e, t, n) {
		let r = t.callSync ?? !0, i = await (n ?? this.#o);
		if (!i) throw hn.fromCode(new Bn());
		let a = D.from(e), o = t.effectiveTarget ? Td(t.effectiveTarget) : t.effectiveCanisterId ? { canisterId: D.from(t.effectiveCanisterId) } : { canisterId: a };
		await this.#O(o);
		let s = i.getPrincipal(), c = Yd(this.#p, this.#n), l = {
			request_type: pu.Call,
			canister_id: a,
			method_name: t.methodName,
			arg: t.arg,
			sender: s,
			ingress_expiry: c
		}, u = await this._transform({
			request: {
				body: null,
				method: "POST",
				headers: {
					"Content-Type": "application/cbor",
					...this.#u ? { Authorization: `Basic ${btoa(this.#u)}` } : {}
				}
			},
			endpoint: fu.Call,
			body: l
		}), d;
		d = t?.nonce ? f(t.nonce) : u.body.nonce ? f(u.body.nonce) : void 0, l.nonce = d;
		function f(e) {
			return Object.assign(e, { __nonce__: void 0 });
		}
		u = await i.transformRequest(u);
		let p = su(u.body.content ?? l), m = ha(u.body), h = this.#f();
		try {
			let e;
			if ("canisterId" in o) e = r ? () => {
				let e = new URL(`api/v4/canister/${o.canisterId.toText()}/call`, this.host);
				return this.log.print(`fetching "${e.pathname}" with request:`, u), this.#s(e, {
					...this.#l,
					...u.request,
					body: m
				});
			} : () => {
				let e = new URL(`api/v2/canister/${o.canisterId.toText()}/call`, this.host);
				return this.log.print(`fetching "${e.pathname}" with request:`, u), this.#s(e, {
					...this.#l,
					...u.request,
					body: m
				});
			};
			else {
				if (!r) throw M.fromCode(new rr());
				e = () => {
					let e = new URL(`api/v4/subnet/${o.subnetId.toText()}/call`, this.host);
					return this.log.print(`fetching "${e.pathname}" with request:`, u), this.#s(e, {
						...this.#l,
						...u.request,
						body: m
					});
				};
			}
			let { responseBodyBytes: t, ...n } = await this.#C({
				requestFn: e,
				backoff: h,
				tries: 0
			}), i = t.byteLength > 0 ? ga(t) : null;
			return {
				requestId: p,
				response: {
					...n,
					body: i
				},
				requestDetails: l
			};
		} catch (r) {
			let i;
			if (r instanceof un) {
				if ("canisterId" in o && r.hasCode(Qn)) return this.log.warn("v4 api not supported. Fall back to v2"), this.call(e, {
					...t,
					callSync: !1
				}, n);
				if (r.hasCode(Vn) && !this.#r) return await this.syncTime(o), this.call(a, t, n);
				r.code.requestContext = {
					requestId: p,
					senderPubKey: u.body.sender_pubkey,
					senderSignature: u.body.sender_sig,
					ingressExpiry: u.body.content.ingress_expiry
				}, i = r;
			} else i = gn.fromCode(new Jn(r));
			throw this.log.error(`Error while making call: ${i.message}`, i), i;
		}
	}
	async update(e, t, n = {}) {
		let r = D.from(e), i = t.effectiveTarget ? Td(t.effectiveTarget) : t.effectiveCanisterId ? { canisterId: D.from(t.effectiveCanisterId) } : { canisterId: r }, { requestId: a, response: o, requestDetails: s } = await this.call(e, t), { body: c, ...l } = o;
		if (iu(c)) return this.#b(c, o, a, r, i, t.methodName, l, s, n, t.onPollingStarted);
		if (ru(c) && this.#x(c, a, r, i, t.methodName, l), o.status === Gd) return t.onPollingStarted?.(), {
			...await Md(this, i, a, n),
			requestDetails: s,
			callResponse: o
		};
		let u = new Jn(`Unexpected response from call: status ${o.status} with unrecognized body`);
		throw u.callContext = {
			canisterId: r,
			effectiveTarget: i,
			methodName: t.methodName,
			httpDetails: l
		}, gn.fromCode(u);
	}
	async #b(e, t, n, r, i, a, o, s, c, l) {
		if (this.rootKey == null) throw hn.fromCode(new Rn());
		let u = e.certificate, d = await Sl.create({
			certificate: u,
			rootKey: this.rootKey,
			principal: i,
			blsVerify: c.blsVerify,
			agent: this
		}), f = [De("request_status"), n], p = Ol(d.lookup_path([...f, De("status")])), m = p ? new TextDecoder().decode(p) : void 0;
		switch (m) {
			case hu.Replied: return {
				reply: Ol(d.lookup_path([...f, "reply"])),
				certificate: d,
				rawCertificate: u,
				requestDetails: s,
				callResponse: t
			};
			case hu.Rejected: {
				let e = Eu(d, f, n);
				throw e.callContext = {
					canisterId: r,
					effectiveTarget: i,
					methodName: a,
					httpDetails: o
				}, pn.fromCode(e);
			}
			case void 0: return this.log.warn(`v4 sync response certificate does not contain request ID ${E(n)} status. Falling back to polling.`), l?.(), {
				...await Md(this, i, n, c),
				requestDetails: s,
				callResponse: t
			};
			default: {
				let e = new Yn(m, n, t, u);
				throw e.callContext = {
					canisterId: r,
					effectiveTarget: i,
					methodName: a,
					httpDetails: o
				}, gn.fromCode(e);
			}
		}
	}
	#x(e, t, n, r, i, a) {
		let { reject_code: o, reject_message: s, error_code: c } = e, l = new In(t, o, s, c);
		throw l.callContext = {
			canisterId: n,
			methodName: i,
			httpDetails: a,
			effectiveTarget: r
		}, pn.fromCode(l);
	}
	async #S(e) {
		let { target: t, transformedRequest: n, body: r, requestId: i, backoff: a, tries: o } = e, s = o === 0 ? 0 : a.next(), c = "canisterId" in t ? new URL(`api/v3/canister/${t.canisterId.toString()}/query`, this.host) : new URL(`api/v3/subnet/${t.subnetId.toString()}/query`, this.host);
		if (this.log.print(`fetching "${c.pathname}" with tries:`, {
			tries: o,
			backoff: a,
			delay: s
		}), s === null) throw gn.fromCode(new Mn(`Backoff strategy exhausted after ${o} attempts.`, i));
		s > 0 && await new Promise((e) => setTimeout(e, s));
		let l;
		try {
			this.log.print(`fetching "${c.pathname}" with request:`, n), l = await this.#s(c, {
				...this.#c,
				...n.request,
				body: r
			});
		} catch (t) {
			if (o < this.#d) return this.log.warn(`Caught exception while attempting to make query:\n  ${t}\n  Retrying query.`), await this.#S({
				...e,
				tries: o + 1
			});
			throw mn.fromCode(new $n(t));
		}
		let u = vu(l.headers);
		if (l.status !== Wd) {
			let t = await l.text();
			if (Xd(t)) throw M.fromCode(new Vn(t, this.#p));
			if (o < this.#d) return await this.#S({
				...e,
				tries: o + 1
			});
			throw j.fromCode(new Zn(l.status, l.statusText, u, t));
		}
		let d = {
			...ga(dl(await l.arrayBuffer())),
			httpDetails: {
				ok: l.ok,
				status: l.status,
				statusText: l.statusText,
				headers: u
			},
			requestId: i
		};
		if (!this.#y) return d;
		let f = d.signatures?.[0]?.timestamp;
		if (!f) throw j.fromCode(new Gn("Timestamp not found in query response. This suggests a malformed or malicious response."));
		let p = Number(BigInt(f) / BigInt(Fd));
		if (Date.now() + this.#n - p > this.#h) {
			if (o < this.#d) return this.log.warn("Timestamp is older than the max ingress expiry. Retrying query.", {
				requestId: i,
				signatureTimestampMs: p
			}), await this.syncTime(t), await this.#S({
				...e,
				tries: o + 1
			});
			throw fn.fromCode(new Nn(this.#p, i, o));
		}
		return d;
	}
	async #C(e) {
		let { requestFn: t, backoff: n, tries: r } = e, i = r === 0 ? 0 : n.next();
		if (i === null) throw j.fromCode(new Mn(`Retry strategy exhausted after ${r} attempts.`));
		i > 0 && await new Promise((e) => setTimeout(e, i));
		let a, o = /* @__PURE__ */ new Uint8Array();
		try {
			a = await t(), a.status === Wd && (o = dl(await a.clone().arrayBuffer()));
		} catch (e) {
			if (r < this.#d) return this.log.warn(`Caught exception while attempting to make request:\n  ${e}\n  Retrying request.`), await this.#C({
				requestFn: t,
				backoff: n,
				tries: r + 1
			});
			throw mn.fromCode(new $n(e));
		}
		let s = vu(a.headers);
		if (a.status === Wd || a.status === Gd) return {
			ok: a.ok,
			status: a.status,
			statusText: a.statusText,
			responseBodyBytes: o,
			headers: s
		};
		let c = await a.text();
		if (a.status === Kd && a.url.includes("api/v4/canister")) throw j.fromCode(new Qn());
		if (Xd(c)) throw M.fromCode(new Vn(c, this.#p));
		if (r < this.#d) return await this.#C({
			requestFn: t,
			backoff: n,
			tries: r + 1
		});
		throw j.fromCode(new Zn(a.status, a.statusText, s, c));
	}
	async query(e, t, n) {
		let r = this.#f(), i = D.from(e), a = t.effectiveTarget ? Td(t.effectiveTarget) : t.effectiveCanisterId ? { canisterId: D.from(t.effectiveCanisterId) } : { canisterId: i }, o = Ed(a);
		await this.#O(a), "canisterId" in a ? this.log.print(`ecid ${a.canisterId.toString()}`) : this.log.print(`esid ${a.subnetId.toString()}`), this.log.print(`canisterId ${e.toString()}`);
		let s, c = await (n ?? this.#o);
		if (!c) throw hn.fromCode(new Bn());
		let l = c.getPrincipal(), u = Yd(this.#p, this.#n), d = {
			request_type: mu.Query,
			canister_id: i,
			method_name: t.methodName,
			arg: t.arg,
			sender: l,
			ingress_expiry: u
		};
		s = await this._transform({
			request: {
				method: "POST",
				headers: {
					"Content-Type": "application/cbor",
					...this.#u ? { Authorization: `Basic ${btoa(this.#u)}` } : {}
				}
			},
			endpoint: fu.Query,
			body: d
		}), s = await c.transformRequest(s);
		let f = su(s.body.content ?? d), p = ha(s.body), m = {
			canister: i.toText(),
			target: a,
			transformedRequest: s,
			body: p,
			requestId: f,
			backoff: r,
			tries: 0
		}, h = async () => {
			let e = await this.#S(m);
			return {
				requestDetails: d,
				...e
			};
		};
		try {
			if (!this.#y) return await h();
			let [e, t] = await Promise.all([h(), this.fetchSubnetKeys(a)]);
			try {
				return this.#w(e, t);
			} catch {
				this.log.warn("Query response verification failed. Retrying with fresh subnet keys."), await this.#m.delete(o);
				let t = await this.fetchSubnetKeys(a);
				return this.#w(e, t);
			}
		} catch (r) {
			let i;
			if (r instanceof un) {
				if (r.hasCode(Vn) && !this.#r) return await this.syncTime(a), this.query(e, t, n);
				r.code.requestContext = {
					requestId: f,
					senderPubKey: s.body.sender_pubkey,
					senderSignature: s.body.sender_sig,
					ingressExpiry: s.body.content.ingress_expiry
				}, i = r;
			} else i = gn.fromCode(new Jn(r));
			throw this.log.error(`Error while making query: ${i.message}`, i), i;
		}
	}
	#w;
	async createReadStateRequest(e, t) {
		await this.#O();
		let n = await (t ?? this.#o);
		if (!n) throw hn.fromCode(new Bn());
		let r = n.getPrincipal(), i = await this._transform({
			request: {
				method: "POST",
				headers: {
					"Content-Type": "application/cbor",
					...this.#u ? { Authorization: `Basic ${btoa(this.#u)}` } : {}
				}
			},
			endpoint: fu.ReadState,
			body: {
				request_type: mu.ReadState,
				paths: e.paths,
				sender: r,
				ingress_expiry: Yd(this.#p, this.#n)
			}
		});
		return n.transformRequest(i);
	}
	#T(e) {
		for (let t of e.paths) {
			let [e, n] = t;
			if (fl(e, new TextEncoder().encode("request_status"))) return n;
		}
	}
	async readState(e, t, n, r) {
		(typeof e == "string" || e instanceof D) && (e = { canisterId: D.from(e) }), await this.#k();
		let i = Td(e);
		t.disableTimeVerification || await this.#A(i);
		let a = [], o = [];
		for (let e of t.paths) {
			let t = Zl(e);
			a.push(t), Array.isArray(e) || o.push({
				path: e,
				encoded: t
			});
		}
		let s = {
			...t,
			paths: a
		}, c, l;
		if (r) c = r;
		else {
			l = this.#T(s);
			let e = await this.#o;
			if (!e) throw hn.fromCode(new Bn());
			c = await this.createReadStateRequest(s, e);
		}
		let u = "canisterId" in i ? new URL(`api/v3/canister/${i.canisterId.toString()}/read_state`, this.host) : new URL(`api/v3/subnet/${i.subnetId.toString()}/read_state`, this.host);
		if (this.rootKey === null) throw hn.fromCode(new Rn(this.#t));
		let d = this.rootKey, { certificate: f } = await this.#E(u, i, c, l), p = await Sl.create({
			certificate: f,
			rootKey: d,
			principal: i,
			blsVerify: t.blsVerify,
			maxAgeInMinutes: t.maxAgeInMinutes,
			disableTimeVerification: t.disableTimeVerification,
			agent: this
		}), m = /* @__PURE__ */ new Map();
		for (let { path: e, encoded: t } of o) {
			let n = Ol(p.lookup_path(t));
			m.set(e.key, n === void 0 ? null : e.decode(n));
		}
		return {
			certificate: f,
			verifiedCertificate: p,
			values: new Xl(m)
		};
	}
	readSubnetState(e, t) {
		return this.readState({ subnetId: D.from(e) }, t);
	}
	async #E(e, t, n, r) {
		let i = this.#f();
		try {
			let { responseBodyBytes: t } = await this.#C({
				requestFn: () => this.#s(e, {
					...this.#c,
					...n.request,
					body: ha(n.body)
				}),
				backoff: i,
				tries: 0
			});
			return ga(t);
		} catch (i) {
			let a;
			if (i instanceof un) {
				if (i.hasCode(Vn) && !this.#r) return await this.syncTime(t), await this.#E(e, t, n, r);
				i.code.requestContext = {
					requestId: r ?? su(n),
					senderPubKey: n.body.sender_pubkey,
					senderSignature: n.body.sender_sig,
					ingressExpiry: n.body.content.ingress_expiry
				}, a = i;
			} else a = gn.fromCode(new Jn(i));
			throw this.log.error(`Error while making read state: ${a.message}`, a), a;
		}
	}
	parseTimeFromResponse(e) {
		let t;
		if (e.certificate) {
			let n = ga(e.certificate);
			if (n && "tree" in n) t = n.tree;
			else throw j.fromCode(new Xn("Could not decode time from response"));
			let r = Pl(["time"], t);
			if (r.status !== Ml.Found) throw j.fromCode(new Sn("Time was not found in the response or was not in its expected format.", r.status));
			if (!(r.value instanceof Uint8Array) && !ArrayBuffer.isView(r)) throw j.fromCode(new Cn("Time was not in its expected format."));
			let i = ya(r.value);
			return this.log.print("Time from response:", i), this.log.print("Time from response in milliseconds:", i.getTime()), i.getTime();
		}
		return this.log.warn("No certificate found in response"), 0;
	}
	async syncTime(t) {
		t && (typeof t == "string" || t instanceof D) && (t = { canisterId: D.from(t) }), this.#i = this.#i ?? (async () => {
			await this.#k();
			let n = Date.now();
			try {
				t || this.log.print("Syncing time with the IC. No target provided, so falling back to ryjl3-tyaaa-aaaaa-aaaba-cai");
				let r = t ?? { canisterId: D.from("ryjl3-tyaaa-aaaaa-aaaba-cai") }, i = e.createSync({
					identity: new uu(),
					host: this.host.toString(),
					fetch: this.#s,
					retryTimes: 0,
					rootKey: this.rootKey ?? void 0,
					shouldSyncTime: !1
				}), a = await Promise.all([
					,
					,
					,
				].fill(null).map(async () => {
					let e = ("canisterId" in r ? await xu({
						canisterId: r.canisterId,
						agent: i,
						paths: ["time"],
						disableCertificateTimeVerification: !0
					}) : await Tu({
						subnetId: r.subnetId,
						agent: i,
						paths: ["time"],
						disableCertificateTimeVerification: !0
					})).get("time");
					if (e instanceof Date) return e.getTime();
				}, []));
				this.#D(n, a);
			} catch (e) {
				let t = e instanceof un ? e : gn.fromCode(new Jn(e));
				throw this.log.error("Caught exception while attempting to sync time", t), t;
			}
		})(), await this.#i.finally(() => {
			this.#i = null;
		});
	}
	syncTimeWithSubnet(e) {
		return this.syncTime({ subnetId: e });
	}
	#D(e, t) {
		let n = t.reduce((e, t) => typeof t == "number" && t > e ? t : e, 0);
		n > 0 && (this.#n = n - e, this.#r = !0, this.log.notify({
			message: `Syncing time: offset of ${this.#n}`,
			level: "info"
		}));
	}
	async status() {
		let e = this.#u ? { Authorization: `Basic ${btoa(this.#u)}` } : {}, t = new URL("api/v2/status", this.host);
		this.log.print(`fetching "${t.pathname}"`);
		let n = this.#f(), { responseBodyBytes: r } = await this.#C({
			backoff: n,
			requestFn: () => this.#s(t, {
				headers: e,
				...this.#c
			}),
			tries: 0
		});
		return ga(r);
	}
	async fetchRootKey() {
		return this.#e = this.#e ?? (async () => {
			let e = await this.status();
			return this.rootKey = e.root_key, this.rootKey;
		})(), await this.#e.finally(() => {
			this.#e = null;
		});
	}
	async #O(e) {
		await Promise.all([this.#k(), this.#A(e)]);
	}
	async #k() {
		if (!this.rootKey) {
			if (this.rootKey === null && this.host.toString() !== "https://icp-api.io" && this.#t) await this.fetchRootKey();
			else throw hn.fromCode(new Rn(this.#t));
		}
	}
	async #A(e) {
		this.#a && !this.hasSyncedTime() && await this.syncTime(e);
	}
	invalidateIdentity() {
		this.#o = null;
	}
	replaceIdentity(e) {
		this.#o = Promise.resolve(e);
	}
	async fetchSubnetKeys(e) {
		(typeof e == "string" || e instanceof D) && (e = { canisterId: D.from(e) });
		let t = Td(e), n = Ed(t), r = await this.#m.get(n);
		if (r) return r;
		let i = this.#v.get(n);
		if (i) return i;
		let a = this.#j(t).finally(() => {
			this.#v.delete(n);
		});
		return this.#v.set(n, a), a;
	}
	async #j(e) {
		await this.#O(e);
		let t = this.rootKey, { verifiedCertificate: n } = await this.readState(e, { paths: [[De("subnet")]] }), r = Ed(e);
		if ("canisterId" in e && !n.cert.delegation) {
			let r = D.selfAuthenticating(t);
			if (!zl({
				canisterId: e.canisterId,
				subnetId: r,
				tree: n.cert.tree
			})) throw fn.fromCode(new bn(e.canisterId, r));
		}
		let i = Kl(n.cert, t), a = eu(n.cert, i);
		return await this.#m.set(r, a), a;
	}
	async getSubnetIdFromCanister(e) {
		let t = D.from(e);
		await this.#O({ canisterId: t });
		let { verifiedCertificate: n } = await this.readState({ canisterId: t }, { paths: [[De("time")]] });
		return Kl(n.cert, this.rootKey);
	}
	_transform(e) {
		let t = Promise.resolve(e);
		if (e.endpoint === fu.Call) for (let e of this.#_) t = t.then((t) => e(t).then((e) => e || t));
		else for (let e of this.#g) t = t.then((t) => e(t).then((e) => e || t));
		return t;
	}
	getTimeDiffMsecs() {
		return this.#n;
	}
	hasSyncedTime() {
		return this.#r;
	}
};
function Yd(e, t) {
	let n = e * Pd;
	return pa.fromDeltaInMilliseconds(n, t);
}
function Xd(e) {
	return e.includes("Invalid request expiry: ");
}
// node_modules/@icp-sdk/core/lib/esm/agent/actor.js
var Zd = Symbol.for("ic-agent-metadata"), Qd = class {
	static agentOf(e) {
		return e[Zd].config.agent;
	}
	static interfaceOf(e) {
		return e[Zd].service;
	}
	static canisterIdOf(e) {
		return D.from(e[Zd].config.canisterId);
	}
	static createActorClass(e, t) {
		let n = e({ IDL: wr });
		class r extends Qd {
			constructor(e) {
				if (!e.canisterId) throw M.fromCode(new er(e.canisterId));
				let r = typeof e.canisterId == "string" ? D.fromText(e.canisterId) : e.canisterId;
				super({
					config: {
						...ef,
						...e,
						canisterId: r
					},
					service: n
				});
				for (let [r, i] of n._fields) t?.httpDetails && i.annotations.push(tf), t?.certificate && i.annotations.push(nf), this[r] = rf(this, r, i, e.blsVerify);
			}
		}
		return r;
	}
	static createActor(e, t) {
		if (!t.canisterId) throw M.fromCode(new er(t.canisterId));
		return new (this.createActorClass(e))(t);
	}
	static createActorWithHttpDetails(e, t) {
		return new (this.createActorClass(e, { httpDetails: !0 }))(t);
	}
	static createActorWithExtendedDetails(e, t, n = {
		httpDetails: !0,
		certificate: !0
	}) {
		return new (this.createActorClass(e, n))(t);
	}
	constructor(e) {
		this[Zd] = Object.freeze(e);
	}
};
function $d(e, t) {
	let n = ri(e, t);
	switch (n.length) {
		case 0: return;
		case 1: return n[0];
		default: return n;
	}
}
var ef = {
	pollingOptions: Dd,
	queryStrategy: "query"
}, tf = "http-details", nf = "certificate";
function rf(e, t, n, r) {
	let i, a = n.annotations.includes("query") || n.annotations.includes("composite_query"), o = e[Zd].config.queryStrategy;
	i = a && o === "query" ? async (r, ...i) => {
		r = {
			...r,
			...e[Zd].config.queryTransform?.(t, i, {
				...e[Zd].config,
				...r
			})
		};
		let a = r.agent || e[Zd].config.agent || new Jd(), o = ni(n.argTypes, i), { canisterId: s, effectiveTarget: c, effectiveCanisterId: l } = {
			...ef,
			...e[Zd].config,
			...r
		}, u = D.from(s), d = c ?? (l ? { canisterId: l } : { canisterId: D.from(s) }), f = await a.query(u, {
			methodName: t,
			arg: o,
			effectiveTarget: d
		}), p = {
			...f.httpDetails,
			requestDetails: f.requestDetails
		};
		switch (f.status) {
			case nu.Rejected: {
				let e = new Fn(f.requestId, f.reject_code, f.reject_message, f.error_code, f.signatures);
				throw e.callContext = {
					canisterId: u,
					effectiveTarget: d,
					methodName: t,
					httpDetails: p
				}, pn.fromCode(e);
			}
			case nu.Replied: return n.annotations.includes("http-details") ? {
				httpDetails: p,
				result: $d(n.retTypes, f.reply.arg)
			} : $d(n.retTypes, f.reply.arg);
		}
	} : async (i, ...a) => {
		i = {
			...i,
			...e[Zd].config.callTransform?.(t, a, {
				...e[Zd].config,
				...i
			})
		};
		let o = i.agent || e[Zd].config.agent || Jd.createSync(), { canisterId: s, effectiveTarget: c, effectiveCanisterId: l, pollingOptions: u } = {
			...ef,
			...e[Zd].config,
			...i
		}, d = c ?? (l ? { canisterId: l } : { canisterId: D.from(s) }), f = D.from(s), p = ni(n.argTypes, a), m, h, g, _;
		try {
			({reply: m, certificate: h, callResponse: g, requestDetails: _} = await o.update(f, {
				methodName: t,
				arg: p,
				effectiveTarget: d,
				nonce: i.nonce
			}, {
				...u,
				blsVerify: r
			}));
		} catch (e) {
			if (e instanceof pn) {
				let n = Object.create(Object.getPrototypeOf(e.code), Object.getOwnPropertyDescriptors(e.code));
				throw n.callContext = {
					...e.code.callContext,
					canisterId: f,
					methodName: t
				}, pn.fromCode(n);
			}
			throw e;
		}
		let v = n.annotations.includes(tf), y = n.annotations.includes(nf), b = {
			...g,
			requestDetails: _
		};
		return v && y ? {
			httpDetails: b,
			certificate: h,
			result: $d(n.retTypes, m)
		} : y ? {
			certificate: h,
			result: $d(n.retTypes, m)
		} : v ? {
			httpDetails: b,
			result: $d(n.retTypes, m)
		} : $d(n.retTypes, m);
	};
	let s = (...e) => i({}, ...e);
	return s.withOptions = (e) => (...t) => i(e, ...t), s;
}
// node_modules/@icp-sdk/core/lib/esm/identity/identity/ed25519.js
function af(e) {
	return typeof e == "object" && !!e;
}
var of = class e {
	static from(e) {
		if (typeof e == "string") {
			let t = Ee(e);
			return this.fromRaw(t);
		}
		if (af(e)) {
			let t = e;
			if (af(t) && Object.hasOwnProperty.call(t, "__derEncodedPublicKey__")) return this.fromDer(t);
			if (ArrayBuffer.isView(t)) {
				let e = t;
				return this.fromRaw(sr(e.buffer));
			}
			if (t instanceof ArrayBuffer) return this.fromRaw(sr(t));
			if ("rawKey" in t && t.rawKey instanceof Uint8Array) return this.fromRaw(t.rawKey);
			if ("derKey" in t) return this.fromDer(t.derKey);
			if ("toDer" in t) return this.fromDer(t.toDer());
		}
		throw Error("Cannot construct Ed25519PublicKey from the provided key.");
	}
	static fromRaw(t) {
		return new e(t);
	}
	static fromDer(t) {
		return new e(this.derDecode(t));
	}
	static {
		this.RAW_KEY_LENGTH = 32;
	}
	static derEncode(e) {
		let t = od(e, ad);
		return t.__derEncodedPublicKey__ = void 0, t;
	}
	static derDecode(e) {
		let t = sd(e, ad);
		if (t.length !== this.RAW_KEY_LENGTH) throw Error("An Ed25519 public key must be exactly 32bytes long");
		return t;
	}
	#e;
	get rawKey() {
		return this.#e;
	}
	#t;
	get derKey() {
		return this.#t;
	}
	constructor(t) {
		if (t.byteLength !== e.RAW_KEY_LENGTH) throw Error("An Ed25519 public key must be exactly 32bytes long");
		this.#e = t.slice(), this.#t = e.derEncode(this.#e);
	}
	toDer() {
		return this.derKey;
	}
	toRaw() {
		return this.rawKey;
	}
}, sf = class e extends lu {
	static generate(t) {
		if (t && t.length !== 32) throw Error("Ed25519 Seed needs to be 32 bytes long.");
		t = t ? t.slice() : Xu.utils.randomSecretKey(), lr(t, new Uint8Array(Array(32).fill(0))) && console.warn("Seed is all zeros. This is not a secure seed. Please provide a seed with sufficient entropy if this is a production environment.");
		let n = /* @__PURE__ */ new Uint8Array(32);
		for (let e = 0; e < 32; e++) n[e] = t[e];
		let r = Xu.getPublicKey(n);
		return e.fromKeyPair(r, n);
	}
	static fromParsedJson(t) {
		let [n, r] = t;
		return new e(of.fromDer(Ee(n)), Ee(r));
	}
	static fromJSON(e) {
		let t = JSON.parse(e);
		if (Array.isArray(t)) {
			if (typeof t[0] == "string" && typeof t[1] == "string") return this.fromParsedJson([t[0], t[1]]);
			throw Error("Deserialization error: JSON must have at least 2 items.");
		}
		throw Error(`Deserialization error: Invalid JSON type for string: ${JSON.stringify(e)}`);
	}
	static fromKeyPair(t, n) {
		return new e(of.fromRaw(t), n);
	}
	static fromSecretKey(t) {
		let n = Xu.getPublicKey(t);
		return e.fromKeyPair(n, t);
	}
	#e;
	#t;
	constructor(e, t) {
		super(), this.#e = of.from(e), this.#t = t.slice();
	}
	toJSON() {
		return [E(this.#e.toDer()), E(this.#t)];
	}
	getKeyPair() {
		return {
			secretKey: this.#t,
			publicKey: this.#e
		};
	}
	getPublicKey() {
		return this.#e;
	}
	async sign(e) {
		let t = Xu.sign(e, this.#t.slice(0, 32));
		return Object.defineProperty(t, "__signature__", {
			enumerable: !1,
			value: void 0
		}), t;
	}
	static verify(e, t, n) {
		let [r, i, a] = [
			e,
			t,
			n
		].map((e) => (typeof e == "string" && (e = Ee(e)), sr(e)));
		return Xu.verify(r, i, a);
	}
}, cf;
(function(e) {
	e[e.ECDSA_WITH_SHA256 = -7] = "ECDSA_WITH_SHA256";
})(cf ||= {});
// node_modules/@noble/curves/secp256k1.js
var lf = {
	p: BigInt("0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f"),
	n: BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"),
	h: BigInt(1),
	a: BigInt(0),
	b: BigInt(7),
	Gx: BigInt("0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"),
	Gy: BigInt("0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8")
}, uf = {
	beta: BigInt("0x7ae96a2b657c07106e64479eac3434e99cf0497512f58995c1396c28719501ee"),
	basises: [[BigInt("0x3086d221a7d46bcde86c90e49284eb15"), -BigInt("0xe4437ed6010e88286f547fa90abfe4c3")], [BigInt("0x114ca50f7a8e2f3f657c1108d9d44cfd8"), BigInt("0x3086d221a7d46bcde86c90e49284eb15")]]
}, df = /* @__PURE__ */ BigInt(2);
function ff(e) {
	let t = lf.p, n = BigInt(3), r = BigInt(6), i = BigInt(11), a = BigInt(22), o = BigInt(23), s = BigInt(44), c = BigInt(88), l = e * e * e % t, u = l * l * e % t, d = G(G(G(u, n, t) * u % t, n, t) * u % t, df, t) * l % t, f = G(d, i, t) * d % t, p = G(f, a, t) * f % t, m = G(p, s, t) * p % t, h = G(G(G(G(G(G(m, c, t) * m % t, s, t) * p % t, n, t) * u % t, o, t) * f % t, r, t) * l % t, df, t);
	if (!pf.eql(pf.sqr(h), e)) throw Error("Cannot find square root");
	return h;
}
var pf = /* @__PURE__ */ Oo(lf.p, { sqrt: ff }), mf = /* @__PURE__ */ Rs(/* @__PURE__ */ Ps(lf, {
	Fp: pf,
	endo: uf
}), Qe);
// node_modules/@noble/hashes/pbkdf2.js
function hf(e, t, n, r) {
	me(e);
	let { c: i, dkLen: a, asyncTick: o } = Ae({
		dkLen: 32,
		asyncTick: 10
	}, r);
	if (fe(i, "c"), fe(a, "dkLen"), fe(o, "asyncTick"), i < 1) throw Error("\"c\" (iterations) must be >= 1");
	if (a < 1) throw Error("\"dkLen\" must be >= 1");
	if (a > (2 ** 32 - 1) * e.outputLen) throw Error("derived key too long");
	let s = Oe(t, "password");
	try {
		let t = Oe(n, "salt");
		try {
			let n = new Uint8Array(a), { iHash: r, oHash: c, outputLen: l } = xs.create(e, s);
			return {
				c: i,
				dkLen: a,
				asyncTick: o,
				DK: n,
				outputLen: l,
				eng: gf(r, c, t, new Uint8Array(l))
			};
		} finally {
			typeof n == "string" && ye(t);
		}
	} finally {
		typeof t == "string" && ye(s);
	}
}
function gf(e, t, n, r) {
	let i = /* @__PURE__ */ new Uint8Array(4), a = be(i), o = e._cloneInto().update(n), s = t._cloneInto(), c = e._cloneInto, l = t._cloneInto;
	return {
		u1: (e, n) => {
			a.setInt32(0, e, !1), o._cloneInto(s).update(i).digestInto(r), t._cloneInto(s).update(r).digestInto(r), n.set(r.subarray(0, n.length));
		},
		rounds: (n, i) => {
			for (let a = 1; a < n; a++) {
				c.call(e, s).update(r).digestInto(r), l.call(t, s).update(r).digestInto(r);
				for (let e = 0; e < i.length; e++) i[e] ^= r[e];
			}
		},
		output: (n) => (e.destroy(), t.destroy(), o.destroy(), s.destroy(), ye(r), n)
	};
}
function _f(e, t, n, r) {
	let { c: i, dkLen: a, DK: o, outputLen: s, eng: c } = hf(e, t, n, r);
	for (let e = 1, t = 0; t < a; e++, t += s) {
		let n = o.subarray(t, t + s);
		c.u1(e, n), c.rounds(i, n);
	}
	return c.output(o);
}
// node_modules/@scure/bip39/index.js
function vf(e) {
	for (let t = 0; t < e.length; t++) {
		let n = e.charCodeAt(t);
		if (n >= 55296 && n <= 56319) {
			if (t + 1 >= e.length) return !1;
			let n = e.charCodeAt(++t);
			if (n < 56320 || n > 57343) return !1;
		} else if (n >= 56320 && n <= 57343) return !1;
	}
	return !0;
}
function yf(e) {
	if (typeof e != "string") throw TypeError("invalid mnemonic type: " + typeof e);
	if (!vf(e)) throw TypeError("expected well-formed Unicode string");
	return e.normalize("NFKD");
}
function bf(e) {
	let t = yf(e), n = t.split(" ");
	if (![
		12,
		15,
		18,
		21,
		24
	].includes(n.length)) throw Error("Invalid mnemonic");
	return {
		nfkd: t,
		words: n
	};
}
var xf = (e) => {
	if (typeof e != "string") throw TypeError("invalid passphrase type: " + typeof e);
	return yf("mnemonic" + e);
};
function Sf(e, t = "") {
	return _f(et, bf(e).nfkd, xf(t), {
		c: 2048,
		dkLen: 64
	});
}
// node_modules/@noble/hashes/legacy.js
var Cf = /* @__PURE__ */ Uint8Array.from([
	7,
	4,
	13,
	1,
	10,
	6,
	15,
	3,
	12,
	0,
	9,
	5,
	2,
	14,
	11,
	8
]), wf = /* @__PURE__ */ Uint8Array.from(Array(16).fill(0).map((e, t) => t)), Tf = /* @__PURE__ */ wf.map((e) => (9 * e + 5) % 16), Ef = /* @__PURE__ */ (() => {
	let e = [[wf], [Tf]];
	for (let t = 0; t < 4; t++) for (let n of e) n.push(n[t].map((e) => Cf[e]));
	return e;
})(), Df = Ef[0], Of = Ef[1], kf = /* @__PURE__ */ [
	[
		11,
		14,
		15,
		12,
		5,
		8,
		7,
		9,
		11,
		13,
		14,
		15,
		6,
		7,
		9,
		8
	],
	[
		12,
		13,
		11,
		15,
		6,
		9,
		9,
		7,
		12,
		15,
		11,
		13,
		7,
		8,
		7,
		7
	],
	[
		13,
		15,
		14,
		11,
		7,
		7,
		6,
		8,
		13,
		14,
		13,
		12,
		5,
		5,
		6,
		9
	],
	[
		14,
		11,
		12,
		14,
		8,
		6,
		5,
		5,
		15,
		12,
		15,
		14,
		9,
		9,
		8,
		6
	],
	[
		15,
		12,
		13,
		13,
		9,
		5,
		8,
		6,
		14,
		11,
		12,
		11,
		8,
		6,
		5,
		5
	]
].map((e) => Uint8Array.from(e)), Af = /* @__PURE__ */ Df.map((e, t) => e.map((e) => kf[t][e])), jf = /* @__PURE__ */ Of.map((e, t) => e.map((e) => kf[t][e])), Mf = /* @__PURE__ */ Uint32Array.from([
	0,
	1518500249,
	1859775393,
	2400959708,
	2840853838
]), Nf = /* @__PURE__ */ Uint32Array.from([
	1352829926,
	1548603684,
	1836072691,
	2053994217,
	0
]);
function Pf(e, t, n, r) {
	return e === 0 ? t ^ n ^ r : e === 1 ? t & n | ~t & r : e === 2 ? (t | ~n) ^ r : e === 3 ? t & r | n & ~r : t ^ (n | ~r);
}
var Ff = /* @__PURE__ */ new Uint32Array(16), If = class extends Ie {
	h0 = 1732584193;
	h1 = -271733879;
	h2 = -1732584194;
	h3 = 271733878;
	h4 = -1009589776;
	constructor() {
		super(64, 20, 8, !0);
	}
	get() {
		let { h0: e, h1: t, h2: n, h3: r, h4: i } = this;
		return [
			e,
			t,
			n,
			r,
			i
		];
	}
	set(e, t, n, r, i) {
		this.h0 = e | 0, this.h1 = t | 0, this.h2 = n | 0, this.h3 = r | 0, this.h4 = i | 0;
	}
	_cloneInto(e) {
		return (e ||= new this.constructor()).set(...this.get()), this._cloneIntoMeta(e);
	}
	process(e, t) {
		for (let n = 0; n < 16; n++, t += 4) Ff[n] = e.getUint32(t, !0);
		let n = this.h0 | 0, r = n, i = this.h1 | 0, a = i, o = this.h2 | 0, s = o, c = this.h3 | 0, l = c, u = this.h4 | 0, d = u;
		for (let e = 0; e < 5; e++) {
			let t = 4 - e, f = Mf[e], p = Nf[e], m = Df[e], h = Of[e], g = Af[e], _ = jf[e];
			for (let t = 0; t < 16; t++) {
				let r = Se(n + Pf(e, i, o, c) + Ff[m[t]] + f, g[t]) + u | 0;
				n = u, u = c, c = Se(o, 10) | 0, o = i, i = r;
			}
			for (let e = 0; e < 16; e++) {
				let n = Se(r + Pf(t, a, s, l) + Ff[h[e]] + p, _[e]) + d | 0;
				r = d, d = l, l = Se(s, 10) | 0, s = a, a = n;
			}
		}
		this.set(this.h1 + o + l | 0, this.h2 + c + d | 0, this.h3 + u + r | 0, this.h4 + n + a | 0, this.h0 + i + s | 0);
	}
	roundClean() {
		ye(Ff);
	}
	destroy() {
		this.destroyed = !0, ye(this.buffer), this.set(0, 0, 0, 0, 0);
	}
}, Lf = /* @__PURE__ */ je(() => new If()), Rf = (e) => Object.freeze(e());
function zf(e) {
	return e instanceof Uint8Array || ArrayBuffer.isView(e) && e.constructor.name === "Uint8Array" && "BYTES_PER_ELEMENT" in e && e.BYTES_PER_ELEMENT === 1;
}
function Bf(e) {
	if (!zf(e)) throw TypeError("Uint8Array expected");
}
function Vf(e) {
	if (typeof e != "function") throw TypeError("function expected");
	return !0;
}
function Hf(e, t) {
	if (typeof t != "string") throw TypeError(`${e}: string expected`);
	return !0;
}
function Uf(e, t = "number") {
	if (typeof e != "number") throw TypeError(`${t}: expected number, got ${typeof e}`);
	if (!Number.isSafeInteger(e)) throw RangeError(`${t}: expected safe integer, got ${e}`);
}
function Wf(...e) {
	let t = (e) => e, n = (e, t) => (n) => e(t(n));
	return {
		encode: e.map((e) => e.encode).reduceRight(n, t),
		decode: e.map((e) => e.decode).reduce(n, t)
	};
}
var Gf = /* @__PURE__ */ (() => {
	try {
		let e = new TextDecoder();
		return e.decode(Uint8Array.of(65, 48, 43, 127)) === "A0+" ? e : void 0;
	} catch {
		return;
	}
})(), Kf = 8192;
function qf(e) {
	let t = e.length;
	if (Gf !== void 0 && t >= 12) return Gf.decode(e);
	if (t <= Kf) return String.fromCharCode.apply(null, e);
	let n = "";
	for (let r = 0; r < t; r += Kf) n += String.fromCharCode.apply(null, e.subarray(r, r + Kf));
	return n;
}
function Jf(e, t) {
	let n = e.length;
	if (n > 128) throw Error("alphabet: max 128 letters");
	let r = new Uint8Array(n), i = (/* @__PURE__ */ new Int8Array(128)).fill(-1);
	for (let t = 0; t < n; t++) {
		let n = e.charCodeAt(t);
		if (e.codePointAt(t) !== n || n > 127) throw Error("alphabet: single-char ASCII letters only");
		r[t] = n, i[n] = t;
	}
	if (t !== void 0) for (let e of Object.keys(t)) {
		let n = e.charCodeAt(0), r = i[t[e].charCodeAt(0)];
		if (e.length !== 1 || n > 127 || r === void 0 || r === -1) throw Error(`alphabet: invalid alias ${e}`);
		i[n] = r;
	}
	return {
		encode: (e) => {
			let t = new Uint8Array(e.length);
			for (let n = 0; n < e.length; n++) {
				let i = e[n], a = r[i];
				if (a === void 0) throw Error(`alphabet.encode: invalid digit ${i}`);
				t[n] = a;
			}
			return qf(t);
		},
		decode: (t) => {
			Hf("decode", t);
			let n = t.length, r = new Uint8Array(n);
			for (let a = 0; a < n; a++) {
				let n = t.charCodeAt(a), o = n < 128 ? i[n] : -1;
				if (o === -1) throw Error(`Unknown letter "${t[a]}". Allowed: ${e}`);
				r[a] = o;
			}
			return r;
		}
	};
}
function Yf(e, t) {
	if (Uf(e), e <= 0) throw RangeError(`checksum length must be positive: ${e}`);
	Vf(t);
	let n = t;
	return {
		encode(t) {
			Bf(t);
			let r = n(t).slice(0, e), i = new Uint8Array(t.length + e);
			return i.set(t), i.set(r, t.length), i;
		},
		decode(t) {
			Bf(t);
			let r = t.slice(0, -e), i = t.slice(-e), a = n(r).slice(0, e);
			for (let t = 0; t < e; t++) if (a[t] !== i[t]) throw Error("Invalid checksum");
			return r;
		}
	};
}
var Xf = 656356768, Zf = 65536, Qf = 2048, $f = 4096, ep = (e, t) => ({
	encode: (n) => {
		Bf(n);
		let r = n.length;
		if (r === 0) return /* @__PURE__ */ new Uint8Array();
		if (r >= Zf) throw Error("invalid length");
		let i = 0;
		for (; i < r - 1 && n[i] === 0;) i++;
		let a = Math.ceil(r / 2), o = new Uint16Array(a), s = r & 1;
		s && (o[0] = n[0]);
		for (let e = s, t = s; e < r; e += 2, t++) o[t] = n[e] << 8 | n[e + 1];
		let c = [], l = 0;
		for (; l < a;) {
			let e = 0;
			for (let n = l; n < a; n++) {
				let r = e * 65536 + o[n], i = Math.floor(r / t);
				e = r - i * t, o[n] = i, i === 0 && n === l && l++;
			}
			c.push(e);
		}
		let u = c.length - 1, d = u * 5;
		for (let t = c[u]; d++, !(t < e); t = Math.floor(t / e));
		let f = new Uint8Array(i + d), p = f.length - 1;
		for (let t = 0; t < u; t++) {
			let n = c[t];
			for (let t = 0; t < 5; t++) f[p--] = n % e, n = Math.floor(n / e);
		}
		for (let t = c[u]; p >= i; t = Math.floor(t / e)) f[p--] = t % e;
		return f;
	},
	decode: (t) => {
		Bf(t);
		let n = t.length;
		if (n === 0) return /* @__PURE__ */ new Uint8Array();
		if (n >= Zf) throw Error("invalid length");
		let r = 0;
		for (; r < n - 1 && t[r] === 0;) r++;
		let i = new Uint16Array(Math.ceil(n * 6 / 16) + 1), a = 0, o = 0, s = n % 5 || 5;
		for (; o < n;) {
			let n = 0, r = 1;
			for (let i = o + s; o < i; o++) {
				let i = t[o];
				if (i >= e) throw Error(`invalid integer: ${i}`);
				n = n * e + i, r *= e;
			}
			s = 5;
			let c = n;
			for (let e = 0; e < a; e++) {
				let t = i[e] * r + c;
				c = Math.floor(t / 65536), i[e] = t - c * 65536;
			}
			for (; c > 0; c = Math.floor(c / 65536)) i[a++] = c % 65536;
		}
		let c = a === 0 ? 1 : a * 2 - (i[a - 1] < 256), l = new Uint8Array(r + c), u = l.length - 1;
		for (let e = 0; e < a; e++) {
			let t = i[e];
			l[u--] = t & 255, u >= r && (l[u--] = t >> 8);
		}
		return l;
	}
}), tp = (e, t) => {
	let n = Jf(t);
	return {
		encode(t) {
			if (Bf(t), t.length > Qf) throw Error("invalid length");
			return n.encode(e.encode(t));
		},
		decode(t) {
			if (Hf("baseN.decode", t), t.length > $f) throw Error("invalid length");
			return e.decode(n.decode(t));
		}
	};
}, np = /* @__PURE__ */ ep(58, Xf), rp = (e) => tp(np, e), ip = /* @__PURE__ */ Rf(() => rp("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")), ap = (e) => {
	Vf(e);
	let t = e;
	return Wf(Yf(4, (e) => t(t(e))), ip);
}, op = mf.Point, sp = op.Fn, cp = /* @__PURE__ */ ap(Qe), lp = /* @__PURE__ */ Uint8Array.from("Bitcoin seed".split(""), (e) => e.charCodeAt(0)), up = {
	private: 76066276,
	public: 76067358
}, dp = 2147483648, fp = 255, pp = (e) => Lf(Qe(e)), mp = (e) => be(e).getUint32(0, !1), hp = (e, t = "number") => {
	if (typeof e != "number") throw TypeError(`"${t}" expected number, got type=${typeof e}`);
	if (!Number.isSafeInteger(e) || e < 0 || e > 2 ** 32 - 1) throw RangeError(`"${t}" expected integer in range 0..2**32-1, got ${e}`);
	let n = /* @__PURE__ */ new Uint8Array(4);
	return be(n).setUint32(0, e, !1), n;
}, gp = (e, t = "versions") => {
	if (!(typeof e == "object" && e)) throw Error("versions must be an object");
	return hp(e.private, `${t}.private`), hp(e.public, `${t}.public`), e;
}, _p = class e {
	get fingerprint() {
		if (!this._pubHash) throw Error("No publicKey set!");
		return mp(this._pubHash);
	}
	get identifier() {
		return this._pubHash ? Uint8Array.from(this._pubHash) : void 0;
	}
	get pubKeyHash() {
		return this._pubHash ? Uint8Array.from(this._pubHash) : void 0;
	}
	get privateKey() {
		return this._privateKey ? Uint8Array.from(this._privateKey) : null;
	}
	get publicKey() {
		return this._publicKey ? Uint8Array.from(this._publicKey) : null;
	}
	get chainCode() {
		return this._chainCode ? Uint8Array.from(this._chainCode) : null;
	}
	get privateExtendedKey() {
		let e = this._privateKey;
		if (!e) throw Error("No private key");
		return cp.encode(this.serialize(this.versions.private, ke(Uint8Array.of(0), e)));
	}
	get publicExtendedKey() {
		if (!this._publicKey) throw Error("No public key");
		return cp.encode(this.serialize(this.versions.public, this._publicKey));
	}
	static fromMasterSeed(t, n = up) {
		if (pe(t), n = gp(n), 8 * t.length < 128 || 8 * t.length > 512) throw RangeError("HDKey: seed length must be between 128 and 512 bits; 256 bits is advised, got " + t.length);
		let r = xs(et, lp, t), i = r.slice(0, 32), a = r.slice(32);
		return new e({
			versions: n,
			chainCode: a,
			privateKey: i
		});
	}
	static fromExtendedKey(t, n = up) {
		n = gp(n);
		let r = cp.decode(t);
		if (r.length !== 78) throw Error(`HDKey: invalid extended key length: expected 78 bytes, got ${r.length}`);
		let i = be(r), a = i.getUint32(0, !1), o = {
			versions: n,
			depth: r[4],
			parentFingerprint: i.getUint32(5, !1),
			index: i.getUint32(9, !1),
			chainCode: r.slice(13, 45)
		}, s = r.slice(45), c = s[0] === 0;
		if (a !== n[c ? "private" : "public"]) throw Error("Version mismatch");
		return c ? new e({
			...o,
			privateKey: s.slice(1)
		}) : new e({
			...o,
			publicKey: s
		});
	}
	static fromJSON(t) {
		return e.fromExtendedKey("xpriv" in t ? t.xpriv : t.xpub);
	}
	versions;
	depth = 0;
	index = 0;
	parentFingerprint = 0;
	_chainCode = null;
	_privateKey;
	_publicKey;
	_pubHash;
	constructor(e) {
		if (!e || typeof e != "object") throw Error("HDKey.constructor must not be called directly");
		let t = e.depth ?? 0, n = e.index ?? 0, r = e.parentFingerprint ?? 0;
		if (!Number.isSafeInteger(t) || t < 0 || t > fp) throw RangeError("HDKey: depth must be an integer in range 0..255");
		if (hp(n, "index"), hp(r, "parentFingerprint"), t === 0 && (n !== 0 || r !== 0)) throw Error("HDKey: zero depth with non-zero index/parent fingerprint");
		if (this.versions = e.versions ? gp(e.versions) : up, this.depth = t, e.chainCode && pe(e.chainCode, 32), this._chainCode = e.chainCode ? Uint8Array.from(e.chainCode) : null, this.index = n, this.parentFingerprint = r, e.publicKey && e.privateKey) throw Error("HDKey: publicKey and privateKey at same time.");
		if (e.privateKey) {
			if (!mf.utils.isValidSecretKey(e.privateKey)) throw Error("Invalid private key");
			this._privateKey = Uint8Array.from(e.privateKey), this._publicKey = mf.getPublicKey(this._privateKey, !0);
		} else if (e.publicKey) this._publicKey = op.fromBytes(e.publicKey).toBytes(!0);
		else throw Error("HDKey: no public or private key provided");
		this._pubHash = pp(this._publicKey);
	}
	derive(e) {
		if (!/^[mM]'?/.test(e)) throw Error("Path must start with \"m\" or \"M\"");
		if (/^[mM]'?$/.test(e)) return this;
		let t = e.replace(/^[mM]'?\//, "").split("/");
		if (t.length > fp - this.depth) throw Error("HDKey: path exceeds the serializable depth 255");
		let n = this;
		for (let e of t) {
			let t = /^(\d+)('?)$/.exec(e), r = t && t[1];
			if (!t || t.length !== 3 || typeof r != "string") throw Error("invalid child index: " + e);
			let i = +r;
			if (!Number.isSafeInteger(i) || i >= 2147483648) throw Error("Invalid index");
			t[2] === "'" && (i += dp), n = n.deriveChild(i);
		}
		return n;
	}
	deriveChild(e) {
		return this._deriveChild(e);
	}
	_deriveChild(t, n) {
		if (!this._publicKey || !this._chainCode) throw Error("No publicKey or chainCode set");
		let r = hp(t, "index");
		if (t >= 2147483648) {
			let e = this._privateKey;
			if (!e) throw Error("Could not derive hardened child key");
			r = ke(Uint8Array.of(0), e, r);
		} else r = ke(this._publicKey, r);
		let i = n || xs(et, this._chainCode, r);
		pe(i, 64);
		let a = i.slice(0, 32), o = i.slice(32), s = {
			versions: this.versions,
			chainCode: o,
			depth: this.depth + 1,
			parentFingerprint: this.fingerprint,
			index: t
		};
		if (s.depth > fp) throw Error("HDKey: depth exceeds the serializable value 255");
		let c = () => {
			if (t >= (this._privateKey ? 2 ** 32 - 1 : 2147483647)) throw Error(`HDKey: cannot retry child derivation at index ${t}`);
			return this.deriveChild(t + 1);
		}, l = sp.fromBytes(a, !0);
		if (!sp.isValid(l)) return c();
		if (this._privateKey) {
			let e = sp.create(sp.fromBytes(this._privateKey) + l);
			if (!sp.isValidNot0(e)) return c();
			s.privateKey = sp.toBytes(e);
		} else {
			let e = op.fromBytes(this._publicKey), t = l === 0n ? e : e.add(op.BASE.multiply(l));
			if (t.equals(op.ZERO)) return c();
			s.publicKey = t.toBytes(!0);
		}
		return new e(s);
	}
	sign(e) {
		if (!this._privateKey) throw Error("No privateKey set!");
		return pe(e, 32), mf.sign(e, this._privateKey, { prehash: !1 });
	}
	verify(e, t) {
		if (pe(e, 32), pe(t, 64), !this._publicKey) throw Error("No publicKey set!");
		return mf.verify(t, e, this._publicKey, { prehash: !1 });
	}
	wipePrivateData() {
		return this._privateKey &&= (this._privateKey.fill(0), void 0), this;
	}
	toJSON() {
		return this.toPrivateJSON();
	}
	toPrivateJSON() {
		return {
			xpriv: this.privateExtendedKey,
			xpub: this.publicExtendedKey
		};
	}
	serialize(e, t) {
		if (!this._chainCode) throw Error("No chainCode set");
		return pe(t, 33), ke(hp(e, "version"), new Uint8Array([this.depth]), hp(this.parentFingerprint, "parentFingerprint"), hp(this.index, "index"), this._chainCode, t);
	}
}, vp = (e) => {
	if (e <= 127) return 1;
	if (e <= 255) return 2;
	if (e <= 65535) return 3;
	if (e <= 16777215) return 4;
	throw Error("Length too long (> 4 bytes)");
}, yp = (e, t, n) => {
	if (n <= 127) return e[t] = n, 1;
	if (n <= 255) return e[t] = 129, e[t + 1] = n, 2;
	if (n <= 65535) return e[t] = 130, e[t + 1] = n >> 8, e[t + 2] = n, 3;
	if (n <= 16777215) return e[t] = 131, e[t + 1] = n >> 16, e[t + 2] = n >> 8, e[t + 3] = n, 4;
	throw Error("Length too long (> 4 bytes)");
}, bp = (e, t) => {
	if (e[t] < 128) return 1;
	if (e[t] === 128) throw Error("Invalid length 0");
	if (e[t] === 129) return 2;
	if (e[t] === 130) return 3;
	if (e[t] === 131) return 4;
	throw Error("Length too long (> 4 bytes)");
}, xp = (e, t) => {
	let n = bp(e, t);
	if (n === 1) return e[t];
	if (n === 2) return e[t + 1];
	if (n === 3) return (e[t + 1] << 8) + e[t + 2];
	if (n === 4) return (e[t + 1] << 16) + (e[t + 2] << 8) + e[t + 3];
	throw Error("Length too long (> 4 bytes)");
};
Uint8Array.from([
	48,
	12,
	6,
	10,
	43,
	6,
	1,
	4,
	1,
	131,
	184,
	67,
	1,
	1
]), Uint8Array.from([
	48,
	5,
	6,
	3,
	43,
	101,
	112
]);
var Sp = Uint8Array.from([
	48,
	16,
	6,
	7,
	42,
	134,
	72,
	206,
	61,
	2,
	1,
	6,
	5,
	43,
	129,
	4,
	0,
	10
]);
function Cp(e, t) {
	let n = 2 + vp(e.byteLength + 1), r = t.byteLength + n + e.byteLength, i = 0, a = new Uint8Array(1 + vp(r) + r);
	return a[i++] = 48, i += yp(a, i, r), a.set(t, i), i += t.byteLength, a[i++] = 3, i += yp(a, i, e.byteLength + 1), a[i++] = 0, a.set(new Uint8Array(e), i), a;
}
var wp = (e, t) => {
	let n = 0, r = (e, t) => {
		if (i[n++] !== e) throw Error(`Expected: ${t}`);
	}, i = new Uint8Array(e);
	if (r(48, "sequence"), n += bp(i, n), !lr(i.slice(n, n + t.byteLength), t)) throw Error("Not the expected OID.");
	n += t.byteLength, r(3, "bit string");
	let a = xp(i, n) - 1;
	n += bp(i, n), r(0, "0 padding");
	let o = i.slice(n);
	if (a !== o.length) throw Error(`DER payload mismatch: Expected length ${a} actual length ${o.length}`);
	return o;
}, Z = /* @__PURE__ */ l((/* @__PURE__ */ o(((e) => {
	var t = class e {
		static isArrayBuffer(e) {
			return Object.prototype.toString.call(e) === "[object ArrayBuffer]";
		}
		static toArrayBuffer(e) {
			return this.isArrayBuffer(e) ? e : e.byteLength === e.buffer.byteLength || e.byteOffset === 0 && e.byteLength === e.buffer.byteLength ? e.buffer : this.toUint8Array(e.buffer).slice(e.byteOffset, e.byteOffset + e.byteLength).buffer;
		}
		static toUint8Array(e) {
			return this.toView(e, Uint8Array);
		}
		static toView(e, t) {
			if (e.constructor === t) return e;
			if (this.isArrayBuffer(e)) return new t(e);
			if (this.isArrayBufferView(e)) return new t(e.buffer, e.byteOffset, e.byteLength);
			throw TypeError("The provided value is not of type '(ArrayBuffer or ArrayBufferView)'");
		}
		static isBufferSource(e) {
			return this.isArrayBufferView(e) || this.isArrayBuffer(e);
		}
		static isArrayBufferView(e) {
			return ArrayBuffer.isView(e) || e && this.isArrayBuffer(e.buffer);
		}
		static isEqual(t, n) {
			let r = e.toUint8Array(t), i = e.toUint8Array(n);
			if (r.length !== i.byteLength) return !1;
			for (let e = 0; e < r.length; e++) if (r[e] !== i[e]) return !1;
			return !0;
		}
		static concat(...e) {
			let t;
			t = Array.isArray(e[0]) && !(e[1] instanceof Function) || Array.isArray(e[0]) && e[1] instanceof Function ? e[0] : e[e.length - 1] instanceof Function ? e.slice(0, e.length - 1) : e;
			let n = 0;
			for (let e of t) n += e.byteLength;
			let r = new Uint8Array(n), i = 0;
			for (let e of t) {
				let t = this.toUint8Array(e);
				r.set(t, i), i += t.length;
			}
			return e[e.length - 1] instanceof Function ? this.toView(r, e[e.length - 1]) : r.buffer;
		}
	}, n = "string", r = /^[0-9a-f\s]+$/i, i = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, a = /^[a-zA-Z0-9-_]+$/, o = class {
		static fromString(e) {
			let t = unescape(encodeURIComponent(e)), n = new Uint8Array(t.length);
			for (let e = 0; e < t.length; e++) n[e] = t.charCodeAt(e);
			return n.buffer;
		}
		static toString(e) {
			let n = t.toUint8Array(e), r = "";
			for (let e = 0; e < n.length; e++) r += String.fromCharCode(n[e]);
			return decodeURIComponent(escape(r));
		}
	}, s = class {
		static toString(e, n = !1) {
			let r = t.toArrayBuffer(e), i = new DataView(r), a = "";
			for (let e = 0; e < r.byteLength; e += 2) {
				let t = i.getUint16(e, n);
				a += String.fromCharCode(t);
			}
			return a;
		}
		static fromString(e, t = !1) {
			let n = /* @__PURE__ */ new ArrayBuffer(e.length * 2), r = new DataView(n);
			for (let n = 0; n < e.length; n++) r.setUint16(n * 2, e.charCodeAt(n), t);
			return n;
		}
	}, c = class e {
		static isHex(e) {
			return typeof e === n && r.test(e);
		}
		static isBase64(e) {
			return typeof e === n && i.test(e);
		}
		static isBase64Url(e) {
			return typeof e === n && a.test(e);
		}
		static ToString(e, n = "utf8") {
			let r = t.toUint8Array(e);
			switch (n.toLowerCase()) {
				case "utf8": return this.ToUtf8String(r);
				case "binary": return this.ToBinary(r);
				case "hex": return this.ToHex(r);
				case "base64": return this.ToBase64(r);
				case "base64url": return this.ToBase64Url(r);
				case "utf16le": return s.toString(r, !0);
				case "utf16":
				case "utf16be": return s.toString(r);
				default: throw Error(`Unknown type of encoding '${n}'`);
			}
		}
		static FromString(e, t = "utf8") {
			if (!e) return /* @__PURE__ */ new ArrayBuffer(0);
			switch (t.toLowerCase()) {
				case "utf8": return this.FromUtf8String(e);
				case "binary": return this.FromBinary(e);
				case "hex": return this.FromHex(e);
				case "base64": return this.FromBase64(e);
				case "base64url": return this.FromBase64Url(e);
				case "utf16le": return s.fromString(e, !0);
				case "utf16":
				case "utf16be": return s.fromString(e);
				default: throw Error(`Unknown type of encoding '${t}'`);
			}
		}
		static ToBase64(e) {
			let n = t.toUint8Array(e);
			if (typeof btoa < "u") {
				let e = this.ToString(n, "binary");
				return btoa(e);
			}
			return Buffer.from(n).toString("base64");
		}
		static FromBase64(t) {
			let n = this.formatString(t);
			if (!n) return /* @__PURE__ */ new ArrayBuffer(0);
			if (!e.isBase64(n)) throw TypeError("Argument 'base64Text' is not Base64 encoded");
			return typeof atob < "u" ? this.FromBinary(atob(n)) : new Uint8Array(Buffer.from(n, "base64")).buffer;
		}
		static FromBase64Url(t) {
			let n = this.formatString(t);
			if (!n) return /* @__PURE__ */ new ArrayBuffer(0);
			if (!e.isBase64Url(n)) throw TypeError("Argument 'base64url' is not Base64Url encoded");
			return this.FromBase64(this.Base64Padding(n.replace(/\-/g, "+").replace(/\_/g, "/")));
		}
		static ToBase64Url(e) {
			return this.ToBase64(e).replace(/\+/g, "-").replace(/\//g, "_").replace(/\=/g, "");
		}
		static FromUtf8String(t, n = e.DEFAULT_UTF8_ENCODING) {
			switch (n) {
				case "ascii": return this.FromBinary(t);
				case "utf8": return o.fromString(t);
				case "utf16":
				case "utf16be": return s.fromString(t);
				case "utf16le":
				case "usc2": return s.fromString(t, !0);
				default: throw Error(`Unknown type of encoding '${n}'`);
			}
		}
		static ToUtf8String(t, n = e.DEFAULT_UTF8_ENCODING) {
			switch (n) {
				case "ascii": return this.ToBinary(t);
				case "utf8": return o.toString(t);
				case "utf16":
				case "utf16be": return s.toString(t);
				case "utf16le":
				case "usc2": return s.toString(t, !0);
				default: throw Error(`Unknown type of encoding '${n}'`);
			}
		}
		static FromBinary(e) {
			let t = e.length, n = new Uint8Array(t);
			for (let r = 0; r < t; r++) n[r] = e.charCodeAt(r);
			return n.buffer;
		}
		static ToBinary(e) {
			let n = t.toUint8Array(e), r = "";
			for (let e = 0; e < n.length; e++) r += String.fromCharCode(n[e]);
			return r;
		}
		static ToHex(e) {
			let n = t.toUint8Array(e), r = "", i = n.length;
			for (let e = 0; e < i; e++) {
				let t = n[e];
				t < 16 && (r += "0"), r += t.toString(16);
			}
			return r;
		}
		static FromHex(t) {
			let n = this.formatString(t);
			if (!n) return /* @__PURE__ */ new ArrayBuffer(0);
			if (!e.isHex(n)) throw TypeError("Argument 'hexString' is not HEX encoded");
			n.length % 2 && (n = `0${n}`);
			let r = new Uint8Array(n.length / 2);
			for (let e = 0; e < n.length; e += 2) {
				let t = n.slice(e, e + 2);
				r[e / 2] = parseInt(t, 16);
			}
			return r.buffer;
		}
		static ToUtf16String(e, t = !1) {
			return s.toString(e, t);
		}
		static FromUtf16String(e, t = !1) {
			return s.fromString(e, t);
		}
		static Base64Padding(e) {
			let t = 4 - e.length % 4;
			if (t < 4) for (let n = 0; n < t; n++) e += "=";
			return e;
		}
		static formatString(e) {
			return e?.replace(/[\n\r\t ]/g, "") || "";
		}
	};
	c.DEFAULT_UTF8_ENCODING = "utf8", e.BufferSourceConverter = t, e.Convert = c;
})))());
function Tp(e, t) {
	let n = 0;
	if (e.length === 1) return e[0];
	for (let r = e.length - 1; r >= 0; r--) n += e[e.length - 1 - r] * 2 ** (t * r);
	return n;
}
function Ep(e, t, n = -1) {
	let r = n, i = e, a = 0, o = 2 ** t;
	for (let n = 1; n < 8; n++) {
		if (e < o) {
			let e;
			if (r < 0) e = new ArrayBuffer(n), a = n;
			else {
				if (r < n) return /* @__PURE__ */ new ArrayBuffer(0);
				e = new ArrayBuffer(r), a = r;
			}
			let o = new Uint8Array(e);
			for (let e = n - 1; e >= 0; e--) {
				let n = 2 ** (e * t);
				o[a - e - 1] = Math.floor(i / n), i -= o[a - e - 1] * n;
			}
			return e;
		}
		o *= 2 ** t;
	}
	return /* @__PURE__ */ new ArrayBuffer(0);
}
function Dp() {
	let e = new Uint8Array(this.valueHex);
	if (this.valueHex.byteLength >= 2) {
		let t = e[0] === 255 && e[1] & 128, n = e[0] === 0 && !(e[1] & 128);
		(t || n) && this.warnings.push("Needlessly long format");
	}
	let t = new ArrayBuffer(this.valueHex.byteLength), n = new Uint8Array(t);
	for (let e = 0; e < this.valueHex.byteLength; e++) n[e] = 0;
	n[0] = e[0] & 128;
	let r = Tp(n, 8), i = new ArrayBuffer(this.valueHex.byteLength), a = new Uint8Array(i);
	for (let t = 0; t < this.valueHex.byteLength; t++) a[t] = e[t];
	return a[0] &= 127, Tp(a, 8) - r;
}
function Op(e) {
	let t = e < 0 ? e * -1 : e, n = 128;
	for (let r = 1; r < 8; r++) {
		if (t <= n) {
			if (e < 0) {
				let e = Ep(n - t, 8, r), i = new Uint8Array(e);
				return i[0] |= 128, e;
			}
			let i = Ep(t, 8, r), a = new Uint8Array(i);
			if (a[0] & 128) {
				let e = i.slice(0), t = new Uint8Array(e);
				i = new ArrayBuffer(i.byteLength + 1), a = new Uint8Array(i);
				for (let n = 0; n < e.byteLength; n++) a[n + 1] = t[n];
				a[0] = 0;
			}
			return i;
		}
		n *= 256;
	}
	return /* @__PURE__ */ new ArrayBuffer(0);
}
function kp(e, t) {
	if (e.byteLength !== t.byteLength) return !1;
	let n = new Uint8Array(e), r = new Uint8Array(t);
	for (let e = 0; e < n.length; e++) if (n[e] !== r[e]) return !1;
	return !0;
}
function Ap(e, t) {
	let n = e.toString(10);
	if (t < n.length) return "";
	let r = t - n.length, i = Array.from({ length: r });
	for (let e = 0; e < r; e++) i[e] = "0";
	return i.join("").concat(n);
}
// node_modules/asn1js/build/index.es.js
function jp() {
	if (typeof BigInt > "u") throw Error("BigInt is not defined. Your environment doesn't implement BigInt.");
}
function Mp(e) {
	let t = 0, n = 0;
	for (let n = 0; n < e.length; n++) {
		let r = e[n];
		t += r.byteLength;
	}
	let r = new Uint8Array(t);
	for (let t = 0; t < e.length; t++) {
		let i = e[t];
		r.set(i instanceof Uint8Array ? i : new Uint8Array(i), n), n += i.byteLength;
	}
	return r.buffer;
}
function Np(e, t, n, r) {
	return t instanceof Uint8Array ? t.byteLength ? n < 0 ? (e.error = "Wrong parameter: inputOffset less than zero", !1) : r < 0 ? (e.error = "Wrong parameter: inputLength less than zero", !1) : t.byteLength - n - r < 0 ? (e.error = "End of input reached before message was fully decoded (inconsistent offset and length values)", !1) : !0 : (e.error = "Wrong parameter: inputBuffer has zero length", !1) : (e.error = "Wrong parameter: inputBuffer must be 'Uint8Array'", !1);
}
var Pp = class {
	constructor() {
		this.items = [];
	}
	write(e) {
		this.items.push(e instanceof ArrayBuffer ? e : Mp([e]));
	}
	final() {
		return Mp(this.items);
	}
}, Fp = Pp.prototype.write, Ip = Pp.prototype.final, Lp = "", Rp = /* @__PURE__ */ new ArrayBuffer(0), zp = /* @__PURE__ */ new Uint8Array(), Bp = "EndOfContent", Vp = "OCTET STRING", Hp = "BIT STRING";
function Up(e) {
	var t = class extends e {
		get valueHex() {
			return this.valueHexView.slice().buffer;
		}
		set valueHex(e) {
			this.valueHexView = new Uint8Array(e);
		}
		constructor(...e) {
			super(...e);
			let t = e[0] || {};
			this.isHexOnly = t.isHexOnly ?? !1, this.valueHexView = t.valueHex ? Z.BufferSourceConverter.toUint8Array(t.valueHex) : zp;
		}
		fromBER(e, t, n, r) {
			let i = e instanceof ArrayBuffer ? new Uint8Array(e) : e;
			if (!Np(this, i, t, n)) return -1;
			let a = t + n;
			return this.valueHexView = i.subarray(t, a), this.valueHexView.length ? (this.blockLength = n, a) : (this.warnings.push("Zero buffer length"), t);
		}
		toBER(e = !1) {
			return this.isHexOnly ? e ? new ArrayBuffer(this.valueHexView.byteLength) : this.valueHexView.buffer instanceof ArrayBuffer && this.valueHexView.byteLength === this.valueHexView.buffer.byteLength ? this.valueHexView.buffer : Z.BufferSourceConverter.toArrayBuffer(this.valueHexView) : (this.error = "Flag 'isHexOnly' is not set, abort", Rp);
		}
		toJSON() {
			return {
				...super.toJSON(),
				isHexOnly: this.isHexOnly,
				valueHex: Z.Convert.ToHex(this.valueHexView)
			};
		}
	};
	return t.NAME = "hexBlock", t;
}
var Wp = class {
	static blockName() {
		return this.NAME;
	}
	get valueBeforeDecode() {
		return this.valueBeforeDecodeView.slice().buffer;
	}
	set valueBeforeDecode(e) {
		this.valueBeforeDecodeView = new Uint8Array(e);
	}
	constructor({ blockLength: e = 0, error: t = Lp, warnings: n = [], valueBeforeDecode: r = zp } = {}) {
		this.blockLength = e, this.error = t, this.warnings = n, this.valueBeforeDecodeView = Z.BufferSourceConverter.toUint8Array(r);
	}
	toJSON() {
		return {
			blockName: this.constructor.NAME,
			blockLength: this.blockLength,
			error: this.error,
			warnings: this.warnings,
			valueBeforeDecode: Z.Convert.ToHex(this.valueBeforeDecodeView)
		};
	}
};
Wp.NAME = "baseBlock";
var Gp = class extends Wp {
	fromBER(e, t, n, r) {
		throw TypeError("User need to make a specific function in a class which extends 'ValueBlock'");
	}
	toBER(e, t) {
		throw TypeError("User need to make a specific function in a class which extends 'ValueBlock'");
	}
};
Gp.NAME = "valueBlock";
var Kp = class extends Up(Wp) {
	constructor({ idBlock: e = {} } = {}) {
		super(), e ? (this.isHexOnly = e.isHexOnly ?? !1, this.valueHexView = e.valueHex ? Z.BufferSourceConverter.toUint8Array(e.valueHex) : zp, this.tagClass = e.tagClass ?? -1, this.tagNumber = e.tagNumber ?? -1, this.isConstructed = e.isConstructed ?? !1) : (this.tagClass = -1, this.tagNumber = -1, this.isConstructed = !1);
	}
	toBER(e = !1) {
		let t = 0;
		switch (this.tagClass) {
			case 1:
				t |= 0;
				break;
			case 2:
				t |= 64;
				break;
			case 3:
				t |= 128;
				break;
			case 4:
				t |= 192;
				break;
			default: return this.error = "Unknown tag class", Rp;
		}
		if (this.isConstructed && (t |= 32), this.tagNumber < 31 && !this.isHexOnly) {
			let n = /* @__PURE__ */ new Uint8Array(1);
			if (!e) {
				let e = this.tagNumber;
				e &= 31, t |= e, n[0] = t;
			}
			return n.buffer;
		}
		if (!this.isHexOnly) {
			let n = Ep(this.tagNumber, 7), r = new Uint8Array(n), i = n.byteLength, a = new Uint8Array(i + 1);
			if (a[0] = t | 31, !e) {
				for (let e = 0; e < i - 1; e++) a[e + 1] = r[e] | 128;
				a[i] = r[i - 1];
			}
			return a.buffer;
		}
		let n = new Uint8Array(this.valueHexView.byteLength + 1);
		if (n[0] = t | 31, !e) {
			let e = this.valueHexView;
			for (let t = 0; t < e.length - 1; t++) n[t + 1] = e[t] | 128;
			n[this.valueHexView.byteLength] = e[e.length - 1];
		}
		return n.buffer;
	}
	fromBER(e, t, n) {
		let r = Z.BufferSourceConverter.toUint8Array(e);
		if (!Np(this, r, t, n)) return -1;
		let i = Number.isInteger(t) && Number.isInteger(n), a = i ? r : r.subarray(t, t + n), o = i ? t : 0, s = i ? n : a.length;
		if (s === 0) return this.error = "Zero buffer length", -1;
		switch (a[o] & 192) {
			case 0:
				this.tagClass = 1;
				break;
			case 64:
				this.tagClass = 2;
				break;
			case 128:
				this.tagClass = 3;
				break;
			case 192:
				this.tagClass = 4;
				break;
			default: return this.error = "Unknown tag class", -1;
		}
		this.isConstructed = (a[o] & 32) == 32, this.isHexOnly = !1;
		let c = a[o] & 31;
		if (c !== 31) this.tagNumber = c, this.blockLength = 1;
		else {
			let e = 0;
			for (;;) {
				let t = e + 1;
				if (t >= s) return this.error = "End of input reached before message was fully decoded", -1;
				if (e++, !(a[o + t] & 128)) break;
			}
			this.blockLength = e + 1;
			let t = this.valueHexView = new Uint8Array(e);
			for (let n = 0; n < e; n++) t[n] = a[o + n + 1] & 127;
			this.blockLength <= 9 ? this.tagNumber = Tp(t, 7) : (this.isHexOnly = !0, this.warnings.push("Tag too long, represented as hex-coded"));
		}
		if (this.tagClass === 1 && this.isConstructed) switch (this.tagNumber) {
			case 1:
			case 2:
			case 5:
			case 6:
			case 9:
			case 13:
			case 14:
			case 23:
			case 24:
			case 31:
			case 32:
			case 33:
			case 34: return this.error = "Constructed encoding used for primitive type", -1;
		}
		return t + this.blockLength;
	}
	toJSON() {
		return {
			...super.toJSON(),
			tagClass: this.tagClass,
			tagNumber: this.tagNumber,
			isConstructed: this.isConstructed
		};
	}
};
Kp.NAME = "identificationBlock";
var qp = Kp.prototype.toBER, Jp = Kp.prototype.fromBER, Yp = class extends Wp {
	constructor({ lenBlock: e = {} } = {}) {
		super(), this.isIndefiniteForm = e.isIndefiniteForm ?? !1, this.longFormUsed = e.longFormUsed ?? !1, this.length = e.length ?? 0;
	}
	fromBER(e, t, n) {
		let r = Z.BufferSourceConverter.toUint8Array(e);
		if (!Np(this, r, t, n)) return -1;
		let i = Number.isInteger(t) && Number.isInteger(n), a = i ? r : r.subarray(t, t + n), o = i ? t : 0, s = i ? n : a.length;
		if (s === 0) return this.error = "Zero buffer length", -1;
		if (a[o] === 255) return this.error = "Length block 0xFF is reserved by standard", -1;
		if (this.isIndefiniteForm = a[o] === 128, this.isIndefiniteForm) return this.blockLength = 1, t + this.blockLength;
		if (this.longFormUsed = !!(a[o] & 128), this.longFormUsed === !1) return this.length = a[o], this.blockLength = 1, t + this.blockLength;
		let c = a[o] & 127;
		if (c > 8) return this.error = "Too big integer", -1;
		if (c + 1 > s) return this.error = "End of input reached before message was fully decoded", -1;
		let l = t + 1, u = r.subarray(l, l + c);
		return u[c - 1] === 0 && this.warnings.push("Needlessly long encoded length"), this.length = Tp(u, 8), this.longFormUsed && this.length <= 127 && this.warnings.push("Unnecessary usage of long length form"), this.blockLength = c + 1, t + this.blockLength;
	}
	toBER(e = !1) {
		let t, n;
		if (this.length > 127 && (this.longFormUsed = !0), this.isIndefiniteForm) return t = /* @__PURE__ */ new ArrayBuffer(1), e === !1 && (n = new Uint8Array(t), n[0] = 128), t;
		if (this.longFormUsed) {
			let r = Ep(this.length, 8);
			if (r.byteLength > 127) return this.error = "Too big length", Rp;
			if (t = new ArrayBuffer(r.byteLength + 1), e) return t;
			let i = new Uint8Array(r);
			n = new Uint8Array(t), n[0] = r.byteLength | 128;
			for (let e = 0; e < r.byteLength; e++) n[e + 1] = i[e];
			return t;
		}
		return t = /* @__PURE__ */ new ArrayBuffer(1), e === !1 && (n = new Uint8Array(t), n[0] = this.length), t;
	}
	toJSON() {
		return {
			...super.toJSON(),
			isIndefiniteForm: this.isIndefiniteForm,
			longFormUsed: this.longFormUsed,
			length: this.length
		};
	}
};
Yp.NAME = "lengthBlock";
var Xp = Yp.prototype.toBER, Zp = Yp.prototype.fromBER, Q = {}, Qp = dm(Uint8Array.prototype, "slice"), $p = Object.getOwnPropertyDescriptor(Uint8Array.prototype, "constructor")?.value, em = Object.getOwnPropertyDescriptor(Array.prototype, Symbol.iterator)?.value, tm = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), "byteLength")?.get, nm = 16384, rm = 64, im;
function am(e, t) {
	let n = t || im;
	im = n ? {
		...n,
		...e
	} : void 0;
}
function $(e, t) {
	let n = Object.getOwnPropertyDescriptor(e, t);
	if (n && "value" in n) return n.value;
}
function om(e) {
	if (tm && e && typeof e == "object") try {
		let t = tm.call(e);
		return typeof t == "number" ? t : void 0;
	} catch {
		return;
	}
}
function sm(e, t) {
	if (t > rm || !e || typeof e != "object") return !1;
	let n = Object.getOwnPropertyDescriptor(e, "valueBlock");
	if (!n || !("value" in n)) return !1;
	let r = n.value;
	if (!r || typeof r != "object") return !1;
	let i = Object.getOwnPropertyDescriptor(r, "valueHexView");
	if (i) {
		if (!("value" in i)) return !1;
		let e = om(i.value);
		return e !== void 0 && e >= nm;
	}
	let a = Object.getOwnPropertyDescriptor(r, "value");
	if (!a || !("value" in a) || !Array.isArray(a.value)) return !1;
	let o = a.value, s = Object.getOwnPropertyDescriptor(o, "length");
	if (!s || !("value" in s) || s.value !== 1) return !1;
	let c = Object.getOwnPropertyDescriptor(o, "0");
	return !c || !("value" in c) ? !1 : sm(c.value, t + 1);
}
function cm(e) {
	try {
		return sm(e, 0);
	} catch {
		return !1;
	}
}
function lm(e, t) {
	return !!e && "value" in e && e.value === t && e.writable === !0 && e.enumerable === !1 && e.configurable === !0;
}
function um(e) {
	return lm(Object.getOwnPropertyDescriptor(e.ViewWriter.prototype, "write"), e.originalWriterWrite) && lm(Object.getOwnPropertyDescriptor(e.ViewWriter.prototype, "final"), e.originalWriterFinal);
}
function dm(e, t) {
	let n = e;
	for (; n;) {
		let e = Object.getOwnPropertyDescriptor(n, t);
		if (e) return "value" in e && typeof e.value == "function" ? {
			declaringPrototype: n,
			method: e.value
		} : void 0;
		n = Object.getPrototypeOf(n);
	}
}
function fm(e, t, n) {
	if (!n) return !1;
	let r = e;
	for (; r;) {
		let e = Object.getOwnPropertyDescriptor(r, t);
		if (r === n.declaringPrototype) return !!e && "value" in e && e.value === n.method;
		if (e) return !1;
		r = Object.getPrototypeOf(r);
	}
	return !1;
}
function pm(e, t, n, r) {
	if (Object.prototype.hasOwnProperty.call(e, n) || Object.getPrototypeOf(e) !== t) return !1;
	let i = Object.getOwnPropertyDescriptor(t, n);
	return !!i && "value" in i && i.value === r;
}
function mm(e, t, n, r) {
	if (Object.prototype.hasOwnProperty.call(e, t)) return !1;
	let i = Object.getPrototypeOf(e), a = Object.getPrototypeOf(r.prototype);
	if (i !== r.prototype || Object.getPrototypeOf(i) !== a || i && Object.getOwnPropertyDescriptor(i, t)) return !1;
	let o = Object.getOwnPropertyDescriptor(a, t);
	return !!o && "value" in o && o.value === n;
}
function hm(e, t = !1) {
	if (!(e instanceof Uint8Array) || Object.getPrototypeOf(e) !== Uint8Array.prototype) return;
	for (let t of [
		"buffer",
		"byteOffset",
		"byteLength",
		"length",
		"slice",
		"constructor"
	]) if (Object.prototype.hasOwnProperty.call(e, t)) return;
	let n = Object.getOwnPropertyDescriptor(Uint8Array.prototype, "constructor");
	if (n && "value" in n && n.value === $p && fm(Uint8Array.prototype, "slice", Qp)) {
		try {
			let n = e.buffer;
			if (!(n instanceof ArrayBuffer) || Object.getPrototypeOf(n) !== ArrayBuffer.prototype || Object.prototype.hasOwnProperty.call(n, "byteLength") || e.byteLength !== e.length || !t && e.byteLength === 0 || e.byteOffset < 0 || e.byteOffset + e.byteLength > n.byteLength) return;
		} catch {
			return;
		}
		return e;
	}
}
function gm(e, t, n) {
	if (Object.getPrototypeOf(e) !== n.LocalIdentificationBlock.prototype || !pm(e, n.LocalIdentificationBlock.prototype, "toBER", n.originalIdentificationToBER)) return !1;
	let r = $(e, "tagClass"), i = $(e, "tagNumber"), a = $(e, "isConstructed"), o = $(e, "isHexOnly"), s = $(e, "valueHexView");
	return typeof r != "number" || !Number.isInteger(r) || r < 1 || r > 4 || typeof i != "number" || !Number.isInteger(i) || i < 0 || a !== t || typeof o != "boolean" ? !1 : o ? !!hm(s) : Number.isSafeInteger(i);
}
function _m(e, t, n) {
	if (Object.getPrototypeOf(e) !== n.LocalLengthBlock.prototype || !pm(e, n.LocalLengthBlock.prototype, "toBER", n.originalLengthToBER)) return !1;
	let r = $(e, "isIndefiniteForm"), i = $(e, "longFormUsed"), a = Object.getOwnPropertyDescriptor(e, "length"), o = a && "value" in a ? a.value : void 0, s = Object.getOwnPropertyDescriptor(e, "longFormUsed");
	return typeof r == "boolean" && (r === !1 || t) && typeof i == "boolean" && !!s && "value" in s && s.writable === !0 && !!a && "value" in a && a.writable === !0 && typeof o == "number" && Number.isSafeInteger(o) && o >= 0;
}
function vm(e, t, n) {
	let r = $(e, "idBlock"), i = $(e, "lenBlock");
	return !!r && !!i && gm(r, t, n) && _m(i, t, n);
}
function ym(e, t) {
	let n = $(e, "valueBlock");
	if (!n || Object.getPrototypeOf(n) !== t.LocalConstructedValueBlock.prototype || !pm(n, t.LocalConstructedValueBlock.prototype, "toBER", t.originalConstructedToBER)) return;
	let r = $(n, "value");
	if (!Array.isArray(r) || Object.getPrototypeOf(r) !== Array.prototype) return;
	let i = Object.getOwnPropertyDescriptor(r, "length");
	if (!i || !("value" in i) || i.value !== 1 || Object.prototype.hasOwnProperty.call(r, Symbol.iterator)) return;
	let a = Object.getOwnPropertyDescriptor(Array.prototype, Symbol.iterator);
	if (!a || !("value" in a) || a.value !== em) return;
	let o = Object.getOwnPropertyDescriptor(r, "0");
	if (o && "value" in o && Object.getOwnPropertyNames(r).length === 2) return o.value;
}
function bm(e, t) {
	let n = $(e, "valueBlock");
	if (!n || Object.getPrototypeOf(n) !== t.LocalBitStringValueBlock.prototype || !pm(n, t.LocalBitStringValueBlock.prototype, "toBER", t.originalBitStringToBER) || $(n, "isConstructed") !== !1) return;
	let r = $(n, "unusedBits");
	if (typeof r != "number" || !Number.isInteger(r) || r < 0 || r > 7) return;
	let i = hm($(n, "valueHexView"), !0);
	if (i) return {
		payload: i,
		prefix: Uint8Array.of(i.byteLength ? r : 0)
	};
}
function xm(e, t, n) {
	let r = $(e, "valueBlock");
	if (r) {
		if (t === "integer") {
			if (Object.getPrototypeOf(r) !== n.LocalIntegerValueBlock.prototype || !pm(r, n.LocalIntegerValueBlock.prototype, "toBER", n.originalIntegerToBER)) return;
		} else if (t === "octet") {
			if (Object.getPrototypeOf(r) !== n.LocalOctetStringValueBlock.prototype || !pm(r, n.LocalOctetStringValueBlock.prototype, "toBER", n.originalOctetStringToBER) || $(r, "isConstructed") !== !1) return;
		} else if (Object.getPrototypeOf(r) !== n.LocalPrimitiveValueBlock.prototype || !mm(r, "toBER", n.originalPrimitiveToBER, n.LocalPrimitiveValueBlock)) return;
		if ((t !== "primitive" || $(r, "isHexOnly") === !0) && typeof $(r, "isHexOnly") == "boolean") return hm($(r, "valueHexView"));
	}
}
function Sm(e, t) {
	if (Object.prototype.hasOwnProperty.call(e, "toBER")) return !1;
	let n = e;
	for (; n;) {
		let e = Object.getOwnPropertyDescriptor(n, "toBER");
		if (e) return "value" in e && e.value === t.originalBaseBlockToBER;
		n = Object.getPrototypeOf(n);
	}
	return !1;
}
function Cm(e, t, n) {
	let r = n[t];
	return !!r && Object.getPrototypeOf(e) === r.prototype;
}
function wm(e, t) {
	return Object.getPrototypeOf(e) === t.Sequence.prototype || Object.getPrototypeOf(e) === t.Set.prototype || Object.getPrototypeOf(e) === t.Constructed.prototype;
}
function Tm(e, t, n) {
	if (!(t > rm || !e || typeof e != "object")) try {
		if (!Sm(e, n)) return;
		let r = Cm(e, "BitString", n) ? "bit" : Cm(e, "Integer", n) ? "integer" : Cm(e, "OctetString", n) ? "octet" : Cm(e, "Primitive", n) ? "primitive" : void 0, i = r === void 0 && wm(e, n);
		if (!r && !i || !vm(e, i, n)) return;
		let a = $(e, "idBlock"), o = $(e, "lenBlock");
		if (!a || !o) return;
		if (r) {
			let t = r === "bit" ? bm(e, n) : void 0, i = r === "bit" ? t?.payload : xm(e, r, n);
			return i ? {
				block: e,
				kind: r,
				idBlock: a,
				lenBlock: o,
				indefinite: !1,
				payload: i,
				prefix: t?.prefix
			} : void 0;
		}
		let s = ym(e, n), c = s && Tm(s, t + 1, n), l = $(o, "isIndefiniteForm");
		return c ? {
			block: e,
			kind: "constructed",
			idBlock: a,
			lenBlock: o,
			indefinite: l === !0,
			child: c
		} : void 0;
	} catch {
		return;
	}
}
function Em(e, t, n) {
	let r = Reflect.apply(n.originalIdentificationToBER, e.idBlock, [t]);
	if (!(r instanceof ArrayBuffer) || r.byteLength === 0) throw TypeError("Built-in identifier encoding failed");
	let i;
	i = e.kind === "constructed" ? Em(e.child, t, n) : e.payload;
	let a = (i instanceof Uint8Array ? i.byteLength : i.total) + (e.prefix?.byteLength ?? 0), o;
	if (e.indefinite) o = Uint8Array.of(128).buffer;
	else if (e.lenBlock.length = a, o = Reflect.apply(n.originalLengthToBER, e.lenBlock, [t]), !(o instanceof ArrayBuffer) || o.byteLength === 0) throw TypeError("Built-in length encoding failed");
	let s = r.byteLength + o.byteLength + a + (e.indefinite ? 2 : 0);
	if (!Number.isSafeInteger(s)) throw RangeError("Built-in encoding is too large");
	return {
		id: r,
		len: o,
		payload: i,
		length: a,
		total: s,
		indefinite: e.indefinite,
		prefix: e.prefix
	};
}
function Dm(e, t, n, r) {
	return t.set(new Uint8Array(e.id), n), n += e.id.byteLength, t.set(new Uint8Array(e.len), n), n += e.len.byteLength, e.prefix && (r || t.set(e.prefix, n), n += e.prefix.byteLength), e.payload instanceof Uint8Array ? (r || t.set(e.payload, n), n += e.payload.byteLength) : n = Dm(e.payload, t, n, r), e.indefinite && (n += 2), n;
}
function Om(e, t = !1) {
	let n = im;
	if (!n || !um(n)) return;
	let r = Tm(e, 0, n);
	if (!r) return;
	let i = Em(r, t, n), a = new Uint8Array(i.total);
	return Dm(i, a, 0, t), a.buffer;
}
var km = class extends Wp {
	constructor({ name: e = Lp, optional: t = !1, primitiveSchema: n, ...r } = {}, i) {
		super(r), this.name = e, this.optional = t, n && (this.primitiveSchema = n), this.idBlock = new Kp(r), this.lenBlock = new Yp(r), this.valueBlock = i ? new i(r) : new Gp(r);
	}
	fromBER(e, t, n, r) {
		let i = this.valueBlock.fromBER(e, t, this.lenBlock.isIndefiniteForm ? n : this.lenBlock.length, r);
		return i === -1 ? (this.error = this.valueBlock.error, i) : (this.idBlock.error.length || (this.blockLength += this.idBlock.blockLength), this.lenBlock.error.length || (this.blockLength += this.lenBlock.blockLength), this.valueBlock.error.length || (this.blockLength += this.valueBlock.blockLength), i);
	}
	toBER(e, t) {
		let n = t || new Pp();
		if (!t && (jm(this), (e === !0 || e === !1 || e === void 0) && cm(this))) {
			let t = Om(this, e === !0);
			if (t) return t;
		}
		let r = this.idBlock.toBER(e);
		if (n.write(r), this.lenBlock.isIndefiniteForm) n.write(new Uint8Array([128]).buffer), this.valueBlock.toBER(e, n), n.write(/* @__PURE__ */ new ArrayBuffer(2));
		else {
			let t = this.valueBlock.toBER(e);
			this.lenBlock.length = t.byteLength;
			let r = this.lenBlock.toBER(e);
			n.write(r), n.write(t);
		}
		return t ? Rp : n.final();
	}
	toJSON() {
		let e = {
			...super.toJSON(),
			idBlock: this.idBlock.toJSON(),
			lenBlock: this.lenBlock.toJSON(),
			valueBlock: this.valueBlock.toJSON(),
			name: this.name,
			optional: this.optional
		};
		return this.primitiveSchema && (e.primitiveSchema = this.primitiveSchema.toJSON()), e;
	}
	toString(e = "ascii") {
		return e === "ascii" ? this.onAsciiEncoding() : Z.Convert.ToHex(this.toBER());
	}
	onAsciiEncoding() {
		return `${this.constructor.NAME} : ${Z.Convert.ToHex(this.valueBlock.valueBeforeDecodeView)}`;
	}
	isEqual(e) {
		return this === e || e instanceof this.constructor && kp(this.toBER(), e.toBER());
	}
};
km.NAME = "BaseBlock";
var Am = km.prototype.toBER;
function jm(e) {
	if (e instanceof Q.Constructed) for (let t of e.valueBlock.value) jm(t) && (e.lenBlock.isIndefiniteForm = !0);
	return !!e.lenBlock?.isIndefiniteForm;
}
var Mm = class extends km {
	getValue() {
		return this.valueBlock.value;
	}
	setValue(e) {
		this.valueBlock.value = e;
	}
	constructor({ value: e = Lp, ...t } = {}, n) {
		super(t, n), e && this.fromString(e);
	}
	fromBER(e, t, n) {
		let r = this.valueBlock.fromBER(e, t, this.lenBlock.isIndefiniteForm ? n : this.lenBlock.length);
		return r === -1 ? (this.error = this.valueBlock.error, r) : (this.fromBuffer(this.valueBlock.valueHexView), this.idBlock.error.length || (this.blockLength += this.idBlock.blockLength), this.lenBlock.error.length || (this.blockLength += this.lenBlock.blockLength), this.valueBlock.error.length || (this.blockLength += this.valueBlock.blockLength), r);
	}
	onAsciiEncoding() {
		return `${this.constructor.NAME} : '${this.valueBlock.value}'`;
	}
};
Mm.NAME = "BaseStringBlock";
var Nm = class extends Up(Gp) {
	constructor({ isHexOnly: e = !0, ...t } = {}) {
		super(t), this.isHexOnly = e;
	}
};
Nm.NAME = "PrimitiveValueBlock";
var Pm = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Nm.prototype), "toBER")?.value, Fm, Im = class extends km {
	constructor(e = {}) {
		super(e, Nm), this.idBlock.isConstructed = !1;
	}
};
Fm = Im, Q.Primitive = Fm, Im.NAME = "PRIMITIVE";
var Lm;
function Rm(e) {
	Lm = {
		Integer: e.Integer,
		Null: e.Null,
		Sequence: e.Sequence
	};
}
function zm(e) {
	let t = Object.getOwnPropertyDescriptor(e, "nodesCount"), n = Object.getOwnPropertyDescriptor(e, "maxNodes"), r = Object.getOwnPropertyDescriptor(e, "maxContentLength");
	return !t || !("value" in t) || t.writable !== !0 || !n || !("value" in n) || !r || !("value" in r) ? !1 : typeof t.value == "number" && Number.isSafeInteger(t.value) && t.value >= 0 && typeof n.value == "number" && Number.isSafeInteger(n.value) && n.value >= 0 && typeof r.value == "number" && Number.isSafeInteger(r.value) && r.value >= 0 && t.value < n.value;
}
function Bm(e, t, n) {
	let r = Object.getOwnPropertyDescriptor(e, t);
	return !!r && "value" in r && r.value === n;
}
function Vm(e, t, n, r) {
	let i = Lm;
	if (!i) return;
	let a, o = 0;
	try {
		if (Object.getPrototypeOf(e) !== Uint8Array.prototype || !Number.isSafeInteger(t) || t < 0 || !Number.isSafeInteger(n) || n < 2 || t > e.byteLength || n > e.byteLength - t) return;
		let s = e[t];
		if (s !== 2 && s !== 5 && s !== 48 || (o = e[t + 1], o >= 128 || o > n - 2) || s === 5 && o !== 0 || !zm(r) || o > Object.getOwnPropertyDescriptor(r, "maxContentLength").value) return;
		let c = s === 2 ? "Integer" : s === 5 ? "Null" : "Sequence";
		if (a = i[c], !Bm(Q, c, a)) return;
		let l = Object.getOwnPropertyDescriptor(Kp.prototype, "fromBER"), u = Object.getOwnPropertyDescriptor(Yp.prototype, "fromBER");
		if (!l || !("value" in l) || l.value !== Jp || !u || !("value" in u) || u.value !== Zp) return;
	} catch {
		return;
	}
	if (!a) return;
	let s = new a();
	s.idBlock.tagClass = 1, s.idBlock.tagNumber = e[t] & 31, s.idBlock.isConstructed = e[t] === 48, s.idBlock.isHexOnly = !1, s.idBlock.blockLength = 1, s.lenBlock.isIndefiniteForm = !1, s.lenBlock.longFormUsed = !1, s.lenBlock.length = o, s.lenBlock.blockLength = 1, r.nodesCount += 1;
	let c = s.fromBER(e, t + 2, o, r);
	return s.valueBeforeDecodeView = e.subarray(t, t + s.blockLength), {
		offset: c,
		result: s
	};
}
var Hm = 1e4, Um = 16777216, Wm = "Maximum ASN.1 nesting depth exceeded", Gm = "Maximum ASN.1 node count exceeded", Km = "Maximum ASN.1 content length exceeded";
function qm(e = {}) {
	return {
		depth: 0,
		maxDepth: e.maxDepth ?? 100,
		nodesCount: 0,
		maxNodes: e.maxNodes ?? Hm,
		maxContentLength: e.maxContentLength ?? Um,
		parseEmbedded: e.parseEmbedded ?? !0
	};
}
function Jm(e) {
	let t = new km({}, Gp);
	return t.error = e, {
		offset: -1,
		result: t
	};
}
function Ym(e) {
	if (e.nodesCount += 1, e.nodesCount > e.maxNodes) return Gm;
}
function Xm(e, t) {
	if (e > t.maxContentLength) return Km;
}
function Zm(e, t, n, r) {
	let i = r.depth + 1;
	if (i > r.maxDepth) return Jm(Wm);
	r.depth = i;
	try {
		return $m(e, t, n, r);
	} finally {
		--r.depth;
	}
}
function Qm(e, t) {
	if (e instanceof t) return e;
	let n = new t();
	return n.idBlock = e.idBlock, n.lenBlock = e.lenBlock, n.warnings = e.warnings, n.valueBeforeDecodeView = e.valueBeforeDecodeView, n;
}
function $m(e, t = 0, n = e.length, r = qm()) {
	let i = Vm(e, t, n, r);
	if (i) return i;
	let a = t, o = new km({}, Gp);
	if (!Np(o, e, t, n)) return {
		offset: -1,
		result: o
	};
	if (Number.isInteger(t) && Number.isInteger(n) ? n === 0 : e.subarray(t, t + n).length === 0) return o.error = "Zero buffer length", {
		offset: -1,
		result: o
	};
	let s = Ym(r);
	if (s) return o.error = s, {
		offset: -1,
		result: o
	};
	let c = o.idBlock.fromBER(e, t, n);
	if (o.idBlock.warnings.length && o.warnings.concat(o.idBlock.warnings), c === -1) return o.error = o.idBlock.error, {
		offset: -1,
		result: o
	};
	if (t = c, n -= o.idBlock.blockLength, c = o.lenBlock.fromBER(e, t, n), o.lenBlock.warnings.length && o.warnings.concat(o.lenBlock.warnings), c === -1) return o.error = o.lenBlock.error, {
		offset: -1,
		result: o
	};
	t = c, n -= o.lenBlock.blockLength;
	let l = o.lenBlock.isIndefiniteForm ? n : o.lenBlock.length, u = Xm(l, r);
	if (u) return o.error = u, {
		offset: -1,
		result: o
	};
	if (!o.idBlock.isConstructed && o.lenBlock.isIndefiniteForm) return o.error = "Indefinite length form used for primitive encoding form", {
		offset: -1,
		result: o
	};
	let d = km;
	switch (o.idBlock.tagClass) {
		case 1:
			if (o.idBlock.tagNumber >= 37 && o.idBlock.isHexOnly === !1) return o.error = "UNIVERSAL 37 and upper tags are reserved by ASN.1 standard", {
				offset: -1,
				result: o
			};
			switch (o.idBlock.tagNumber) {
				case 0:
					if (o.idBlock.isConstructed && o.lenBlock.length > 0) return o.error = "Type [UNIVERSAL 0] is reserved", {
						offset: -1,
						result: o
					};
					d = Q.EndOfContent;
					break;
				case 1:
					d = Q.Boolean;
					break;
				case 2:
					d = Q.Integer;
					break;
				case 3:
					d = Q.BitString;
					break;
				case 4:
					d = Q.OctetString;
					break;
				case 5:
					d = Q.Null;
					break;
				case 6:
					d = Q.ObjectIdentifier;
					break;
				case 10:
					d = Q.Enumerated;
					break;
				case 12:
					d = Q.Utf8String;
					break;
				case 13:
					d = Q.RelativeObjectIdentifier;
					break;
				case 14:
					d = Q.TIME;
					break;
				case 15: return o.error = "[UNIVERSAL 15] is reserved by ASN.1 standard", {
					offset: -1,
					result: o
				};
				case 16:
					d = Q.Sequence;
					break;
				case 17:
					d = Q.Set;
					break;
				case 18:
					d = Q.NumericString;
					break;
				case 19:
					d = Q.PrintableString;
					break;
				case 20:
					d = Q.TeletexString;
					break;
				case 21:
					d = Q.VideotexString;
					break;
				case 22:
					d = Q.IA5String;
					break;
				case 23:
					d = Q.UTCTime;
					break;
				case 24:
					d = Q.GeneralizedTime;
					break;
				case 25:
					d = Q.GraphicString;
					break;
				case 26:
					d = Q.VisibleString;
					break;
				case 27:
					d = Q.GeneralString;
					break;
				case 28:
					d = Q.UniversalString;
					break;
				case 29:
					d = Q.CharacterString;
					break;
				case 30:
					d = Q.BmpString;
					break;
				case 31:
					d = Q.DATE;
					break;
				case 32:
					d = Q.TimeOfDay;
					break;
				case 33:
					d = Q.DateTime;
					break;
				case 34:
					d = Q.Duration;
					break;
				default: {
					let e = o.idBlock.isConstructed ? new Q.Constructed() : new Q.Primitive();
					e.idBlock = o.idBlock, e.lenBlock = o.lenBlock, e.warnings = o.warnings, o = e;
				}
			}
			break;
		default: d = o.idBlock.isConstructed ? Q.Constructed : Q.Primitive;
	}
	return o = Qm(o, d), c = o.fromBER(e, t, l, r), o.valueBeforeDecodeView = e.subarray(a, a + o.blockLength), {
		offset: c,
		result: o
	};
}
function eh(e, t = {}) {
	if (!e.byteLength) {
		let e = new km({}, Gp);
		return e.error = "Input buffer has zero length", {
			offset: -1,
			result: e
		};
	}
	let n = Z.BufferSourceConverter.toUint8Array(e);
	return $m(t.copyInput === !1 ? n : n.slice(), 0, e.byteLength, qm(t));
}
function th(e, t) {
	return e ? 1 : t;
}
var nh = class extends Gp {
	constructor({ value: e = [], isIndefiniteForm: t = !1, ...n } = {}) {
		super(n), this.value = e, this.isIndefiniteForm = t;
	}
	fromBER(e, t, n, r) {
		let i = Z.BufferSourceConverter.toUint8Array(e), a = r ?? qm();
		if (!Np(this, i, t, n)) return -1;
		if (this.valueBeforeDecodeView = i.subarray(t, t + n), this.valueBeforeDecodeView.length === 0) return this.warnings.push("Zero buffer length"), t;
		let o = t;
		for (; th(this.isIndefiniteForm, n) > 0;) {
			let e = Zm(i, o, n, a);
			if (e.offset === -1) return this.error = e.result.error, this.warnings.concat(e.result.warnings), -1;
			if (o = e.offset, this.blockLength += e.result.blockLength, n -= e.result.blockLength, this.value.push(e.result), this.isIndefiniteForm && e.result.constructor.NAME === Bp) break;
		}
		return this.isIndefiniteForm && (this.value[this.value.length - 1].constructor.NAME === Bp ? this.value.pop() : this.warnings.push("No EndOfContent block encoded")), o;
	}
	toBER(e, t) {
		let n = t || new Pp();
		for (let t = 0; t < this.value.length; t++) this.value[t].toBER(e, n);
		return t ? Rp : n.final();
	}
	toJSON() {
		let e = {
			...super.toJSON(),
			isIndefiniteForm: this.isIndefiniteForm,
			value: []
		};
		for (let t of this.value) e.value.push(t.toJSON());
		return e;
	}
};
nh.NAME = "ConstructedValueBlock";
var rh = nh.prototype.toBER, ih, ah = class extends km {
	constructor(e = {}) {
		super(e, nh), this.idBlock.isConstructed = !0;
	}
	fromBER(e, t, n, r) {
		this.valueBlock.isIndefiniteForm = this.lenBlock.isIndefiniteForm;
		let i = this.valueBlock.fromBER(e, t, this.lenBlock.isIndefiniteForm ? n : this.lenBlock.length, r);
		return i === -1 ? (this.error = this.valueBlock.error, i) : (this.idBlock.error.length || (this.blockLength += this.idBlock.blockLength), this.lenBlock.error.length || (this.blockLength += this.lenBlock.blockLength), this.valueBlock.error.length || (this.blockLength += this.valueBlock.blockLength), i);
	}
	onAsciiEncoding() {
		let e = [];
		for (let t of this.valueBlock.value) e.push(t.toString("ascii").split("\n").map((e) => `  ${e}`).join("\n"));
		let t = this.idBlock.tagClass === 3 ? `[${this.idBlock.tagNumber}]` : this.constructor.NAME;
		return e.length ? `${t} :\n${e.join("\n")}` : `${t} :`;
	}
};
ih = ah, Q.Constructed = ih, ah.NAME = "CONSTRUCTED";
var oh = class extends Gp {
	fromBER(e, t, n) {
		return t;
	}
	toBER(e) {
		return Rp;
	}
};
oh.override = "EndOfContentValueBlock";
var sh, ch = class extends km {
	constructor(e = {}) {
		super(e, oh), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 0;
	}
};
sh = ch, Q.EndOfContent = sh, ch.NAME = Bp;
var lh, uh = class extends km {
	constructor(e = {}) {
		super(e, Gp), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 5;
	}
	fromBER(e, t, n) {
		return this.lenBlock.length > 0 && this.warnings.push("Non-zero length of value block for Null type"), this.idBlock.error.length || (this.blockLength += this.idBlock.blockLength), this.lenBlock.error.length || (this.blockLength += this.lenBlock.blockLength), this.blockLength += n, t + n > e.byteLength ? (this.error = "End of input reached before message was fully decoded (inconsistent offset and length values)", -1) : t + n;
	}
	toBER(e, t) {
		let n = /* @__PURE__ */ new ArrayBuffer(2);
		if (!e) {
			let e = new Uint8Array(n);
			e[0] = 5, e[1] = 0;
		}
		return t && t.write(n), n;
	}
	onAsciiEncoding() {
		return `${this.constructor.NAME}`;
	}
};
lh = uh, Q.Null = lh, uh.NAME = "NULL";
var dh = class extends Up(Gp) {
	get value() {
		for (let e of this.valueHexView) if (e > 0) return !0;
		return !1;
	}
	set value(e) {
		this.valueHexView[0] = e ? 255 : 0;
	}
	constructor({ value: e, ...t } = {}) {
		super(t), this.valueHexView = t.valueHex ? Z.BufferSourceConverter.toUint8Array(t.valueHex) : /* @__PURE__ */ new Uint8Array(1), e && (this.value = e);
	}
	fromBER(e, t, n) {
		let r = Z.BufferSourceConverter.toUint8Array(e);
		return Np(this, r, t, n) ? (this.valueHexView = r.subarray(t, t + n), n > 1 && this.warnings.push("Boolean value encoded in more then 1 octet"), this.isHexOnly = !0, Dp.call(this), this.blockLength = n, t + n) : -1;
	}
	toBER() {
		return this.valueHexView.slice().buffer;
	}
	toJSON() {
		return {
			...super.toJSON(),
			value: this.value
		};
	}
};
dh.NAME = "BooleanValueBlock";
var fh, ph = class extends km {
	getValue() {
		return this.valueBlock.value;
	}
	setValue(e) {
		this.valueBlock.value = e;
	}
	constructor(e = {}) {
		super(e, dh), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 1;
	}
	onAsciiEncoding() {
		return `${this.constructor.NAME} : ${this.getValue}`;
	}
};
fh = ph, Q.Boolean = fh, ph.NAME = "BOOLEAN";
var mh = class extends Up(nh) {
	constructor({ isConstructed: e = !1, ...t } = {}) {
		super(t), this.isConstructed = e;
	}
	fromBER(e, t, n, r) {
		let i = 0;
		if (this.isConstructed) {
			if (this.isHexOnly = !1, i = nh.prototype.fromBER.call(this, e, t, n, r), i === -1) return i;
			for (let e = 0; e < this.value.length; e++) {
				let t = this.value[e].constructor.NAME;
				if (t === Bp) {
					if (this.isIndefiniteForm) break;
					return this.error = "EndOfContent is unexpected, OCTET STRING may consists of OCTET STRINGs only", -1;
				}
				if (t !== Vp) return this.error = "OCTET STRING may consists of OCTET STRINGs only", -1;
			}
		} else this.isHexOnly = !0, i = super.fromBER(e, t, n), this.blockLength = n;
		return i;
	}
	toBER(e, t) {
		return this.isConstructed ? nh.prototype.toBER.call(this, e, t) : e ? new ArrayBuffer(this.valueHexView.byteLength) : this.valueHexView.slice().buffer;
	}
	toJSON() {
		return {
			...super.toJSON(),
			isConstructed: this.isConstructed
		};
	}
};
mh.NAME = "OctetStringValueBlock";
var hh = mh.prototype.toBER, gh, _h = class extends km {
	constructor({ idBlock: e = {}, lenBlock: t = {}, ...n } = {}) {
		n.isConstructed ??= !!n.value?.length, super({
			idBlock: {
				isConstructed: n.isConstructed,
				...e
			},
			lenBlock: {
				...t,
				isIndefiniteForm: !!n.isIndefiniteForm
			},
			...n
		}, mh), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 4;
	}
	fromBER(e, t, n, r) {
		if (this.valueBlock.isConstructed = this.idBlock.isConstructed, this.valueBlock.isIndefiniteForm = this.lenBlock.isIndefiniteForm, n === 0) return this.idBlock.error.length === 0 && (this.blockLength += this.idBlock.blockLength), this.lenBlock.error.length === 0 && (this.blockLength += this.lenBlock.blockLength), t;
		if (!this.valueBlock.isConstructed && r?.parseEmbedded !== !1) {
			let i = (e instanceof ArrayBuffer ? new Uint8Array(e) : e).subarray(t, t + n);
			try {
				if (i.byteLength) {
					let e = r ?? qm(), t = Zm(i, 0, i.byteLength, e);
					t.offset !== -1 && t.offset === n && (this.valueBlock.value = [t.result]);
				}
			} catch {}
		}
		return super.fromBER(e, t, n, r);
	}
	onAsciiEncoding() {
		return this.valueBlock.isConstructed || this.valueBlock.value && this.valueBlock.value.length ? ah.prototype.onAsciiEncoding.call(this) : `${this.constructor.NAME} : ${Z.Convert.ToHex(this.valueBlock.valueHexView)}`;
	}
	getValue() {
		if (!this.idBlock.isConstructed) return this.valueBlock.valueHexView.slice().buffer;
		let e = [];
		for (let t of this.valueBlock.value) t instanceof gh && e.push(t.valueBlock.valueHexView);
		return Z.BufferSourceConverter.concat(e);
	}
};
gh = _h, Q.OctetString = gh, _h.NAME = Vp;
var vh = class extends Up(nh) {
	constructor({ unusedBits: e = 0, isConstructed: t = !1, ...n } = {}) {
		super(n), this.unusedBits = e, this.isConstructed = t, this.blockLength = this.valueHexView.byteLength;
	}
	fromBER(e, t, n, r) {
		if (!n) return t;
		let i = -1;
		if (this.isConstructed) {
			if (i = nh.prototype.fromBER.call(this, e, t, n, r), i === -1) return i;
			for (let e of this.value) {
				let t = e.constructor.NAME;
				if (t === Bp) {
					if (this.isIndefiniteForm) break;
					return this.error = "EndOfContent is unexpected, BIT STRING may consists of BIT STRINGs only", -1;
				}
				if (t !== Hp) return this.error = "BIT STRING may consists of BIT STRINGs only", -1;
				let n = e.valueBlock;
				if (this.unusedBits > 0 && n.unusedBits > 0) return this.error = "Using of \"unused bits\" inside constructive BIT STRING allowed for least one only", -1;
				this.unusedBits = n.unusedBits;
			}
			return i;
		}
		let a = Z.BufferSourceConverter.toUint8Array(e);
		if (!Np(this, a, t, n)) return -1;
		let o = a.subarray(t, t + n);
		if (this.unusedBits = o[0], this.unusedBits > 7) return this.error = "Unused bits for BitString must be in range 0-7", -1;
		if (!this.unusedBits && r?.parseEmbedded !== !1) {
			let e = o.subarray(1);
			try {
				if (e.byteLength) {
					let t = r ?? qm(), i = Zm(e, 0, e.byteLength, t);
					i.offset !== -1 && i.offset === n - 1 && (this.value = [i.result]);
				}
			} catch {}
		}
		return this.valueHexView = o.subarray(1), this.blockLength = o.length, t + n;
	}
	toBER(e, t) {
		if (this.isConstructed) return nh.prototype.toBER.call(this, e, t);
		if (e) return new ArrayBuffer(this.valueHexView.byteLength + 1);
		if (!this.valueHexView.byteLength) {
			let e = /* @__PURE__ */ new Uint8Array(1);
			return e[0] = 0, e.buffer;
		}
		let n = new Uint8Array(this.valueHexView.length + 1);
		return n[0] = this.unusedBits, n.set(this.valueHexView, 1), n.buffer;
	}
	toJSON() {
		return {
			...super.toJSON(),
			unusedBits: this.unusedBits,
			isConstructed: this.isConstructed
		};
	}
};
vh.NAME = "BitStringValueBlock";
var yh = vh.prototype.toBER, bh, xh = class extends km {
	constructor({ idBlock: e = {}, lenBlock: t = {}, ...n } = {}) {
		n.isConstructed ??= !!n.value?.length, super({
			idBlock: {
				isConstructed: n.isConstructed,
				...e
			},
			lenBlock: {
				...t,
				isIndefiniteForm: !!n.isIndefiniteForm
			},
			...n
		}, vh), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 3;
	}
	fromBER(e, t, n, r) {
		return this.valueBlock.isConstructed = this.idBlock.isConstructed, this.valueBlock.isIndefiniteForm = this.lenBlock.isIndefiniteForm, super.fromBER(e, t, n, r);
	}
	onAsciiEncoding() {
		if (this.valueBlock.isConstructed || this.valueBlock.value && this.valueBlock.value.length) return ah.prototype.onAsciiEncoding.call(this);
		{
			let e = [], t = this.valueBlock.valueHexView;
			for (let n of t) e.push(n.toString(2).padStart(8, "0"));
			let n = e.join("");
			return `${this.constructor.NAME} : ${n.substring(0, n.length - this.valueBlock.unusedBits)}`;
		}
	}
};
bh = xh, Q.BitString = bh, xh.NAME = Hp;
function Sh(e) {
	if (!e.byteLength) return BigInt(0);
	let t = BigInt(`0x${Z.Convert.ToHex(e)}`);
	return e[0] & 128 ? t - (BigInt(1) << BigInt(e.byteLength * 8)) : t;
}
function Ch(e) {
	if (typeof BigInt < "u") return Sh(e).toString(10);
	let t = 1e7;
	if (!e.byteLength) return "0";
	let n = !!(e[0] & 128), r = e;
	if (n) {
		r = new Uint8Array(e.length);
		let t = 1;
		for (let n = e.length - 1; n >= 0; n--) {
			let i = (e[n] ^ 255) + t;
			r[n] = i & 255, t = i >> 8;
		}
	}
	let i = [0];
	for (let e = 0; e < r.length; e++) {
		let n = r[e];
		for (let e = 0; e < i.length; e++) {
			let r = i[e] * 256 + n;
			i[e] = r % t, n = Math.floor(r / t);
		}
		n && i.push(n);
	}
	let a = i.length - 1;
	for (; a > 0 && i[a] === 0;) a--;
	let o = String(i[a]);
	for (let e = a - 1; e >= 0; e--) o += String(i[e]).padStart(7, "0");
	return n && o !== "0" ? `-${o}` : o;
}
var wh, Th = class extends Up(Gp) {
	setValueHex() {
		this.valueHexView.length >= 4 ? (this.warnings.push("Too big Integer for decoding, hex only"), this.isHexOnly = !0, this._valueDec = 0) : (this.isHexOnly = !1, this.valueHexView.length > 0 && (this._valueDec = Dp.call(this)));
	}
	constructor({ value: e, ...t } = {}) {
		super(t), this._valueDec = 0, t.valueHex && this.setValueHex(), e !== void 0 && (this.valueDec = e);
	}
	set valueDec(e) {
		this._valueDec = e, this.isHexOnly = !1, this.valueHexView = new Uint8Array(Op(e));
	}
	get valueDec() {
		return this._valueDec;
	}
	fromDER(e, t, n, r = 0) {
		let i = this.fromBER(e, t, n);
		if (i === -1) return i;
		let a = this.valueHexView;
		return a[0] === 0 && a[1] & 128 ? this.valueHexView = a.subarray(1) : r !== 0 && a.length < r && (r - a.length > 1 && (r = a.length + 1), this.valueHexView = a.subarray(r - a.length)), i;
	}
	toDER(e = !1) {
		let t = this.valueHexView;
		switch (!0) {
			case !!(t[0] & 128):
				{
					let e = new Uint8Array(this.valueHexView.length + 1);
					e[0] = 0, e.set(t, 1), this.valueHexView = e;
				}
				break;
			case t[0] === 0 && !(t[1] & 128): this.valueHexView = this.valueHexView.subarray(1);
		}
		return this.toBER(e);
	}
	fromBER(e, t, n) {
		let r = super.fromBER(e, t, n);
		return r === -1 || this.setValueHex(), r;
	}
	toBER(e) {
		return e ? new ArrayBuffer(this.valueHexView.length) : this.valueHexView.slice().buffer;
	}
	toJSON() {
		return {
			...super.toJSON(),
			valueDec: this.valueDec
		};
	}
	toString() {
		return Ch(this.valueHexView);
	}
};
wh = Th, Th.NAME = "IntegerValueBlock", Object.defineProperty(wh.prototype, "valueHex", {
	set: function(e) {
		this.valueHexView = new Uint8Array(e), this.setValueHex();
	},
	get: function() {
		return this.valueHexView.slice().buffer;
	}
});
var Eh = Th.prototype.toBER, Dh = Th.prototype.toString, Oh, kh = class extends km {
	constructor(e = {}) {
		super(e, Th), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 2;
	}
	toBigInt() {
		jp();
		let e = this.valueBlock, t = e.toString;
		return t === Dh ? Sh(e.valueHexView) : BigInt(Reflect.apply(t, e, []));
	}
	static fromBigInt(e) {
		jp();
		let t = BigInt(e), n = new Pp(), r = t.toString(16).replace(/^-/, ""), i = new Uint8Array(Z.Convert.FromHex(r));
		if (t < 0) {
			let e = new Uint8Array(i.length + (i[0] & 128 ? 1 : 0));
			e[0] |= 128;
			let r = BigInt(`0x${Z.Convert.ToHex(e)}`) + t, a = Z.BufferSourceConverter.toUint8Array(Z.Convert.FromHex(r.toString(16)));
			a[0] |= 128, n.write(a);
		} else i[0] & 128 && n.write(new Uint8Array([0])), n.write(i);
		return new Oh({ valueHex: n.final() });
	}
	convertToDER() {
		let e = new Oh({ valueHex: this.valueBlock.valueHexView });
		return e.valueBlock.toDER(), e;
	}
	convertFromDER() {
		return new Oh({ valueHex: this.valueBlock.valueHexView[0] === 0 ? this.valueBlock.valueHexView.subarray(1) : this.valueBlock.valueHexView });
	}
	onAsciiEncoding() {
		return `${this.constructor.NAME} : ${this.valueBlock.toString()}`;
	}
};
Oh = kh, Q.Integer = Oh, kh.NAME = "INTEGER";
var Ah, jh = class extends kh {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 10;
	}
};
Ah = jh, Q.Enumerated = Ah, jh.NAME = "ENUMERATED";
var Mh = class extends Up(Gp) {
	constructor({ valueDec: e = -1, isFirstSid: t = !1, ...n } = {}) {
		super(n), this.valueDec = e, this.isFirstSid = t;
	}
	fromBER(e, t, n) {
		if (!n) return t;
		let r = Z.BufferSourceConverter.toUint8Array(e);
		if (!Np(this, r, t, n)) return -1;
		let i = r.subarray(t, t + n);
		if (this.blockLength === 0 && Number.isInteger(t) && Number.isInteger(n)) {
			let e = 0;
			for (; e < n;) {
				let t = i[e];
				if (e++, !(t & 128)) break;
			}
			this.blockLength = e, this.valueHexView = new Uint8Array(e);
			for (let t = 0; t < e; t++) this.valueHexView[t] = i[t] & 127;
		} else {
			this.valueHexView = new Uint8Array(n);
			for (let e = 0; e < n && (this.valueHexView[e] = i[e] & 127, this.blockLength++, i[e] & 128); e++);
			let e = new Uint8Array(this.blockLength);
			for (let t = 0; t < this.blockLength; t++) e[t] = this.valueHexView[t];
			this.valueHexView = e;
		}
		return i[this.blockLength - 1] & 128 ? (this.error = "End of input reached before message was fully decoded", -1) : (this.valueHexView[0] === 0 && this.warnings.push("Needlessly long format of SID encoding"), this.blockLength <= 8 ? this.valueDec = Tp(this.valueHexView, 7) : (this.isHexOnly = !0, this.warnings.push("Too big SID for decoding, hex only")), t + this.blockLength);
	}
	set valueBigInt(e) {
		jp();
		let t = BigInt(e).toString(2);
		for (; t.length % 7;) t = "0" + t;
		let n = new Uint8Array(t.length / 7);
		for (let e = 0; e < n.length; e++) n[e] = parseInt(t.slice(e * 7, e * 7 + 7), 2) + (e + 1 < n.length ? 128 : 0);
		this.fromBER(n.buffer, 0, n.length);
	}
	toBER(e) {
		if (this.isHexOnly) {
			if (e) return new ArrayBuffer(this.valueHexView.byteLength);
			let t = this.valueHexView, n = new Uint8Array(this.blockLength);
			for (let e = 0; e < this.blockLength - 1; e++) n[e] = t[e] | 128;
			return n[this.blockLength - 1] = t[this.blockLength - 1], Z.BufferSourceConverter.toArrayBuffer(n);
		}
		let t = Ep(this.valueDec, 7);
		if (t.byteLength === 0) return this.error = "Error during encoding SID value", Rp;
		let n = new Uint8Array(t.byteLength);
		if (!e) {
			let e = new Uint8Array(t), r = t.byteLength - 1;
			for (let t = 0; t < r; t++) n[t] = e[t] | 128;
			n[r] = e[r];
		}
		return Z.BufferSourceConverter.toArrayBuffer(n);
	}
	toString() {
		let e = "";
		if (this.isHexOnly) e = Z.Convert.ToHex(this.valueHexView);
		else if (this.isFirstSid) {
			let t = this.valueDec;
			this.valueDec <= 39 ? e = "0." : this.valueDec <= 79 ? (e = "1.", t -= 40) : (e = "2.", t -= 80), e += t.toString();
		} else e = this.valueDec.toString();
		return e;
	}
	toJSON() {
		return {
			...super.toJSON(),
			valueDec: this.valueDec,
			isFirstSid: this.isFirstSid
		};
	}
};
Mh.NAME = "sidBlock";
var Nh = class extends Gp {
	constructor({ value: e = Lp, ...t } = {}) {
		super(t), this.value = [], e && this.fromString(e);
	}
	fromBER(e, t, n) {
		let r = t;
		for (; n > 0;) {
			let t = new Mh();
			if (r = t.fromBER(e, r, n), r === -1) return this.blockLength = 0, this.error = t.error, r;
			this.value.length === 0 && (t.isFirstSid = !0), this.blockLength += t.blockLength, n -= t.blockLength, this.value.push(t);
		}
		return r;
	}
	toBER(e) {
		let t = [];
		for (let n = 0; n < this.value.length; n++) {
			let r = this.value[n].toBER(e);
			if (r.byteLength === 0) return this.error = this.value[n].error, Rp;
			t.push(r);
		}
		return Mp(t);
	}
	fromString(e) {
		this.value = [];
		let t = 0, n = 0, r = "", i = !1;
		do
			if (n = e.indexOf(".", t), r = n === -1 ? e.substring(t) : e.substring(t, n), t = n + 1, i) {
				let e = this.value[0], t = 0;
				switch (e.valueDec) {
					case 0: break;
					case 1:
						t = 40;
						break;
					case 2:
						t = 80;
						break;
					default:
						this.value = [];
						return;
				}
				let n = parseInt(r, 10);
				if (isNaN(n)) return;
				e.valueDec = n + t, i = !1;
			} else {
				let e = new Mh();
				if (r > 2 ** 53 - 1) jp(), e.valueBigInt = BigInt(r);
				else if (e.valueDec = parseInt(r, 10), isNaN(e.valueDec)) return;
				this.value.length || (e.isFirstSid = !0, i = !0), this.value.push(e);
			}
		while (n !== -1);
	}
	toString() {
		let e = "", t = !1;
		for (let n = 0; n < this.value.length; n++) {
			t = this.value[n].isHexOnly;
			let r = this.value[n].toString();
			n !== 0 && (e = `${e}.`), t ? (r = `{${r}}`, this.value[n].isFirstSid ? e = `2.{${r} - 80}` : e += r) : e += r;
		}
		return e;
	}
	toJSON() {
		let e = {
			...super.toJSON(),
			value: this.toString(),
			sidArray: []
		};
		for (let t = 0; t < this.value.length; t++) e.sidArray.push(this.value[t].toJSON());
		return e;
	}
};
Nh.NAME = "ObjectIdentifierValueBlock";
var Ph, Fh = class extends km {
	getValue() {
		return this.valueBlock.toString();
	}
	setValue(e) {
		this.valueBlock.fromString(e);
	}
	constructor(e = {}) {
		super(e, Nh), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 6;
	}
	onAsciiEncoding() {
		return `${this.constructor.NAME} : ${this.valueBlock.toString() || "empty"}`;
	}
	toJSON() {
		return {
			...super.toJSON(),
			value: this.getValue()
		};
	}
};
Ph = Fh, Q.ObjectIdentifier = Ph, Fh.NAME = "OBJECT IDENTIFIER";
var Ih = class extends Up(Wp) {
	constructor({ valueDec: e = 0, ...t } = {}) {
		super(t), this.valueDec = e;
	}
	fromBER(e, t, n) {
		if (n === 0) return t;
		let r = Z.BufferSourceConverter.toUint8Array(e);
		if (!Np(this, r, t, n)) return -1;
		let i = r.subarray(t, t + n);
		if (this.blockLength === 0 && Number.isInteger(t) && Number.isInteger(n)) {
			let e = 0;
			for (; e < n;) {
				let t = i[e];
				if (e++, !(t & 128)) break;
			}
			this.blockLength = e, this.valueHexView = new Uint8Array(e);
			for (let t = 0; t < e; t++) this.valueHexView[t] = i[t] & 127;
		} else {
			this.valueHexView = new Uint8Array(n);
			for (let e = 0; e < n && (this.valueHexView[e] = i[e] & 127, this.blockLength++, i[e] & 128); e++);
			let e = new Uint8Array(this.blockLength);
			for (let t = 0; t < this.blockLength; t++) e[t] = this.valueHexView[t];
			this.valueHexView = e;
		}
		return i[this.blockLength - 1] & 128 ? (this.error = "End of input reached before message was fully decoded", -1) : (this.valueHexView[0] === 0 && this.warnings.push("Needlessly long format of SID encoding"), this.blockLength <= 8 ? this.valueDec = Tp(this.valueHexView, 7) : (this.isHexOnly = !0, this.warnings.push("Too big SID for decoding, hex only")), t + this.blockLength);
	}
	toBER(e) {
		if (this.isHexOnly) {
			if (e) return new ArrayBuffer(this.valueHexView.byteLength);
			let t = this.valueHexView, n = new Uint8Array(this.blockLength);
			for (let e = 0; e < this.blockLength - 1; e++) n[e] = t[e] | 128;
			return n[this.blockLength - 1] = t[this.blockLength - 1], n.buffer;
		}
		let t = Ep(this.valueDec, 7);
		if (t.byteLength === 0) return this.error = "Error during encoding SID value", Rp;
		let n = new Uint8Array(t.byteLength);
		if (!e) {
			let e = new Uint8Array(t), r = t.byteLength - 1;
			for (let t = 0; t < r; t++) n[t] = e[t] | 128;
			n[r] = e[r];
		}
		return n.buffer;
	}
	toString() {
		let e = "";
		return e = this.isHexOnly ? Z.Convert.ToHex(this.valueHexView) : this.valueDec.toString(), e;
	}
	toJSON() {
		return {
			...super.toJSON(),
			valueDec: this.valueDec
		};
	}
};
Ih.NAME = "relativeSidBlock";
var Lh = class extends Gp {
	constructor({ value: e = Lp, ...t } = {}) {
		super(t), this.value = [], e && this.fromString(e);
	}
	fromBER(e, t, n) {
		let r = t;
		for (; n > 0;) {
			let t = new Ih();
			if (r = t.fromBER(e, r, n), r === -1) return this.blockLength = 0, this.error = t.error, r;
			this.blockLength += t.blockLength, n -= t.blockLength, this.value.push(t);
		}
		return r;
	}
	toBER(e, t) {
		let n = [];
		for (let t = 0; t < this.value.length; t++) {
			let r = this.value[t].toBER(e);
			if (r.byteLength === 0) return this.error = this.value[t].error, Rp;
			n.push(r);
		}
		return Mp(n);
	}
	fromString(e) {
		this.value = [];
		let t = 0, n = 0, r = "";
		do {
			n = e.indexOf(".", t), r = n === -1 ? e.substring(t) : e.substring(t, n), t = n + 1;
			let i = new Ih();
			if (i.valueDec = parseInt(r, 10), isNaN(i.valueDec)) return !0;
			this.value.push(i);
		} while (n !== -1);
		return !0;
	}
	toString() {
		let e = "", t = !1;
		for (let n = 0; n < this.value.length; n++) {
			t = this.value[n].isHexOnly;
			let r = this.value[n].toString();
			n !== 0 && (e = `${e}.`), t && (r = `{${r}}`), e += r;
		}
		return e;
	}
	toJSON() {
		let e = {
			...super.toJSON(),
			value: this.toString(),
			sidArray: []
		};
		for (let t = 0; t < this.value.length; t++) e.sidArray.push(this.value[t].toJSON());
		return e;
	}
};
Lh.NAME = "RelativeObjectIdentifierValueBlock";
var Rh, zh = class extends km {
	getValue() {
		return this.valueBlock.toString();
	}
	setValue(e) {
		this.valueBlock.fromString(e);
	}
	constructor(e = {}) {
		super(e, Lh), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 13;
	}
	onAsciiEncoding() {
		return `${this.constructor.NAME} : ${this.valueBlock.toString() || "empty"}`;
	}
	toJSON() {
		return {
			...super.toJSON(),
			value: this.getValue()
		};
	}
};
Rh = zh, Q.RelativeObjectIdentifier = Rh, zh.NAME = "RelativeObjectIdentifier";
var Bh, Vh = class extends ah {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 16;
	}
};
Bh = Vh, Q.Sequence = Bh, Vh.NAME = "SEQUENCE";
var Hh, Uh = class extends ah {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 17;
	}
};
Hh = Uh, Q.Set = Hh, Uh.NAME = "SET";
var Wh = class extends Up(Gp) {
	constructor({ ...e } = {}) {
		super(e), this.isHexOnly = !0, this.value = Lp;
	}
	toJSON() {
		return {
			...super.toJSON(),
			value: this.value
		};
	}
};
Wh.NAME = "StringValueBlock";
var Gh = class extends Wh {};
Gh.NAME = "SimpleStringValueBlock";
var Kh = class extends Mm {
	constructor({ ...e } = {}) {
		super(e, Gh);
	}
	fromBuffer(e) {
		this.valueBlock.value = String.fromCharCode.apply(null, Z.BufferSourceConverter.toUint8Array(e));
	}
	fromString(e) {
		let t = e.length, n = this.valueBlock.valueHexView = new Uint8Array(t);
		for (let r = 0; r < t; r++) n[r] = e.charCodeAt(r);
		this.valueBlock.value = e;
	}
};
Kh.NAME = "SIMPLE STRING";
var qh = class extends Kh {
	fromBuffer(e) {
		this.valueBlock.valueHexView = Z.BufferSourceConverter.toUint8Array(e);
		try {
			this.valueBlock.value = Z.Convert.ToUtf8String(e);
		} catch (t) {
			this.warnings.push(`Error during "decodeURIComponent": ${t}, using raw string`), this.valueBlock.value = Z.Convert.ToBinary(e);
		}
	}
	fromString(e) {
		this.valueBlock.valueHexView = new Uint8Array(Z.Convert.FromUtf8String(e)), this.valueBlock.value = e;
	}
};
qh.NAME = "Utf8StringValueBlock";
var Jh, Yh = class extends qh {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 12;
	}
};
Jh = Yh, Q.Utf8String = Jh, Yh.NAME = "UTF8String";
var Xh = class extends Kh {
	fromBuffer(e) {
		this.valueBlock.value = Z.Convert.ToUtf16String(e), this.valueBlock.valueHexView = Z.BufferSourceConverter.toUint8Array(e);
	}
	fromString(e) {
		this.valueBlock.value = e, this.valueBlock.valueHexView = new Uint8Array(Z.Convert.FromUtf16String(e));
	}
};
Xh.NAME = "BmpStringValueBlock";
var Zh, Qh = class extends Xh {
	constructor({ ...e } = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 30;
	}
};
Zh = Qh, Q.BmpString = Zh, Qh.NAME = "BMPString";
var $h = class extends Kh {
	fromBuffer(e) {
		let t = ArrayBuffer.isView(e) ? e.slice().buffer : e.slice(0), n = new Uint8Array(t);
		for (let e = 0; e < n.length; e += 4) n[e] = n[e + 3], n[e + 1] = n[e + 2], n[e + 2] = 0, n[e + 3] = 0;
		this.valueBlock.value = String.fromCharCode.apply(null, new Uint32Array(t));
	}
	fromString(e) {
		let t = e.length, n = this.valueBlock.valueHexView = new Uint8Array(t * 4);
		for (let r = 0; r < t; r++) {
			let t = Ep(e.charCodeAt(r), 8), i = new Uint8Array(t);
			if (i.length > 4) continue;
			let a = 4 - i.length;
			for (let e = i.length - 1; e >= 0; e--) n[r * 4 + e + a] = i[e];
		}
		this.valueBlock.value = e;
	}
};
$h.NAME = "UniversalStringValueBlock";
var eg, tg = class extends $h {
	constructor({ ...e } = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 28;
	}
};
eg = tg, Q.UniversalString = eg, tg.NAME = "UniversalString";
var ng, rg = class extends Kh {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 18;
	}
};
ng = rg, Q.NumericString = ng, rg.NAME = "NumericString";
var ig, ag = class extends Kh {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 19;
	}
};
ig = ag, Q.PrintableString = ig, ag.NAME = "PrintableString";
var og, sg = class extends Kh {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 20;
	}
};
og = sg, Q.TeletexString = og, sg.NAME = "TeletexString";
var cg, lg = class extends Kh {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 21;
	}
};
cg = lg, Q.VideotexString = cg, lg.NAME = "VideotexString";
var ug, dg = class extends Kh {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 22;
	}
};
ug = dg, Q.IA5String = ug, dg.NAME = "IA5String";
var fg, pg = class extends Kh {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 25;
	}
};
fg = pg, Q.GraphicString = fg, pg.NAME = "GraphicString";
var mg, hg = class extends Kh {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 26;
	}
};
mg = hg, Q.VisibleString = mg, hg.NAME = "VisibleString";
var gg, _g = class extends Kh {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 27;
	}
};
gg = _g, Q.GeneralString = gg, _g.NAME = "GeneralString";
var vg, yg = class extends Kh {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 29;
	}
};
vg = yg, Q.CharacterString = vg, yg.NAME = "CharacterString";
var bg, xg = class extends hg {
	constructor({ value: e, valueDate: t, ...n } = {}) {
		if (super(n), this.year = 0, this.month = 0, this.day = 0, this.hour = 0, this.minute = 0, this.second = 0, e) {
			this.fromString(e), this.valueBlock.valueHexView = new Uint8Array(e.length);
			for (let t = 0; t < e.length; t++) this.valueBlock.valueHexView[t] = e.charCodeAt(t);
		}
		t && (this.fromDate(t), this.valueBlock.valueHexView = new Uint8Array(this.toBuffer())), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 23;
	}
	fromBuffer(e) {
		this.fromString(String.fromCharCode.apply(null, Z.BufferSourceConverter.toUint8Array(e)));
	}
	toBuffer() {
		let e = this.toString(), t = new ArrayBuffer(e.length), n = new Uint8Array(t);
		for (let t = 0; t < e.length; t++) n[t] = e.charCodeAt(t);
		return t;
	}
	fromDate(e) {
		this.year = e.getUTCFullYear(), this.month = e.getUTCMonth() + 1, this.day = e.getUTCDate(), this.hour = e.getUTCHours(), this.minute = e.getUTCMinutes(), this.second = e.getUTCSeconds();
	}
	toDate() {
		return new Date(Date.UTC(this.year, this.month - 1, this.day, this.hour, this.minute, this.second));
	}
	fromString(e) {
		let t = /(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z/gi.exec(e);
		if (t === null) {
			this.error = "Wrong input string for conversion";
			return;
		}
		let n = parseInt(t[1], 10);
		this.year = n >= 50 ? 1900 + n : 2e3 + n, this.month = parseInt(t[2], 10), this.day = parseInt(t[3], 10), this.hour = parseInt(t[4], 10), this.minute = parseInt(t[5], 10), this.second = parseInt(t[6], 10);
	}
	toString(e = "iso") {
		if (e === "iso") {
			let e = Array.from({ length: 7 });
			return e[0] = Ap(this.year < 2e3 ? this.year - 1900 : this.year - 2e3, 2), e[1] = Ap(this.month, 2), e[2] = Ap(this.day, 2), e[3] = Ap(this.hour, 2), e[4] = Ap(this.minute, 2), e[5] = Ap(this.second, 2), e[6] = "Z", e.join("");
		}
		return super.toString(e);
	}
	onAsciiEncoding() {
		return `${this.constructor.NAME} : ${this.toDate().toISOString()}`;
	}
	toJSON() {
		return {
			...super.toJSON(),
			year: this.year,
			month: this.month,
			day: this.day,
			hour: this.hour,
			minute: this.minute,
			second: this.second
		};
	}
};
bg = xg, Q.UTCTime = bg, xg.NAME = "UTCTime";
var Sg, Cg = class extends xg {
	constructor(e = {}) {
		super(e), this.millisecond ??= 0, this.idBlock.tagClass = 1, this.idBlock.tagNumber = 24;
	}
	fromDate(e) {
		super.fromDate(e), this.millisecond = e.getUTCMilliseconds();
	}
	toDate() {
		let e = Date.UTC(this.year, this.month - 1, this.day, this.hour, this.minute, this.second, this.millisecond);
		return new Date(e);
	}
	fromString(e) {
		let t = !1, n = "", r = "", i = 0, a, o = 0, s = 0;
		if (e[e.length - 1] === "Z") n = e.substring(0, e.length - 1), t = !0;
		else {
			let t = new Number(e[e.length - 1]);
			if (isNaN(t.valueOf())) throw Error("Wrong input string for conversion");
			n = e;
		}
		if (t) {
			if (n.indexOf("+") !== -1 || n.indexOf("-") !== -1) throw Error("Wrong input string for conversion");
		} else {
			let e = 1, t = n.indexOf("+"), r = "";
			if (t === -1 && (t = n.indexOf("-"), e = -1), t !== -1) {
				if (r = n.substring(t + 1), n = n.substring(0, t), r.length !== 2 && r.length !== 4) throw Error("Wrong input string for conversion");
				let i = parseInt(r.substring(0, 2), 10);
				if (isNaN(i.valueOf())) throw Error("Wrong input string for conversion");
				if (o = e * i, r.length === 4) {
					if (i = parseInt(r.substring(2, 4), 10), isNaN(i.valueOf())) throw Error("Wrong input string for conversion");
					s = e * i;
				}
			}
		}
		let c = n.indexOf(".");
		if (c === -1 && (c = n.indexOf(",")), c !== -1) {
			let e = /* @__PURE__ */ new Number(`0${n.substring(c)}`);
			if (isNaN(e.valueOf())) throw Error("Wrong input string for conversion");
			i = e.valueOf(), r = n.substring(0, c);
		} else r = n;
		switch (!0) {
			case r.length === 8:
				if (a = /(\d{4})(\d{2})(\d{2})/gi, c !== -1) throw Error("Wrong input string for conversion");
				break;
			case r.length === 10:
				if (a = /(\d{4})(\d{2})(\d{2})(\d{2})/gi, c !== -1) {
					let e = 60 * i;
					this.minute = Math.floor(e), e = 60 * (e - this.minute), this.second = Math.floor(e), e = 1e3 * (e - this.second), this.millisecond = Math.floor(e);
				}
				break;
			case r.length === 12:
				if (a = /(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})/gi, c !== -1) {
					let e = 60 * i;
					this.second = Math.floor(e), e = 1e3 * (e - this.second), this.millisecond = Math.floor(e);
				}
				break;
			case r.length === 14:
				if (a = /(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/gi, c !== -1) {
					let e = 1e3 * i;
					this.millisecond = Math.floor(e);
				}
				break;
			default: throw Error("Wrong input string for conversion");
		}
		let l = a.exec(r);
		if (l === null) throw Error("Wrong input string for conversion");
		for (let e = 1; e < l.length; e++) switch (e) {
			case 1:
				this.year = parseInt(l[e], 10);
				break;
			case 2:
				this.month = parseInt(l[e], 10);
				break;
			case 3:
				this.day = parseInt(l[e], 10);
				break;
			case 4:
				this.hour = parseInt(l[e], 10) + o;
				break;
			case 5:
				this.minute = parseInt(l[e], 10) + s;
				break;
			case 6:
				this.second = parseInt(l[e], 10);
				break;
			default: throw Error("Wrong input string for conversion");
		}
		if (t === !1) {
			let e = new Date(this.year, this.month, this.day, this.hour, this.minute, this.second, this.millisecond);
			this.year = e.getUTCFullYear(), this.month = e.getUTCMonth(), this.day = e.getUTCDay(), this.hour = e.getUTCHours(), this.minute = e.getUTCMinutes(), this.second = e.getUTCSeconds(), this.millisecond = e.getUTCMilliseconds();
		}
	}
	toString(e = "iso") {
		if (e === "iso") {
			let e = [];
			return e.push(Ap(this.year, 4)), e.push(Ap(this.month, 2)), e.push(Ap(this.day, 2)), e.push(Ap(this.hour, 2)), e.push(Ap(this.minute, 2)), e.push(Ap(this.second, 2)), this.millisecond !== 0 && (e.push("."), e.push(Ap(this.millisecond, 3).replace(/0+$/, ""))), e.push("Z"), e.join("");
		}
		return super.toString(e);
	}
	toJSON() {
		return {
			...super.toJSON(),
			millisecond: this.millisecond
		};
	}
};
Sg = Cg, Q.GeneralizedTime = Sg, Cg.NAME = "GeneralizedTime";
var wg, Tg = class extends Yh {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 31;
	}
};
wg = Tg, Q.DATE = wg, Tg.NAME = "DATE";
var Eg, Dg = class extends Yh {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 32;
	}
};
Eg = Dg, Q.TimeOfDay = Eg, Dg.NAME = "TimeOfDay";
var Og, kg = class extends Yh {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 33;
	}
};
Og = kg, Q.DateTime = Og, kg.NAME = "DateTime";
var Ag, jg = class extends Yh {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 34;
	}
};
Ag = jg, Q.Duration = Ag, jg.NAME = "Duration";
var Mg, Ng = class extends Yh {
	constructor(e = {}) {
		super(e), this.idBlock.tagClass = 1, this.idBlock.tagNumber = 14;
	}
};
Mg = Ng, Q.TIME = Mg, Ng.NAME = "TIME", am({
	BitString: xh,
	Integer: kh,
	OctetString: _h,
	Primitive: Im,
	Constructed: ah,
	Sequence: Vh,
	Set: Uh
}, {
	BaseBlock: km,
	ViewWriter: Pp,
	LocalIdentificationBlock: Kp,
	LocalLengthBlock: Yp,
	LocalIntegerValueBlock: Th,
	LocalOctetStringValueBlock: mh,
	LocalConstructedValueBlock: nh,
	LocalBitStringValueBlock: vh,
	LocalPrimitiveValueBlock: Nm,
	originalBaseBlockToBER: Am,
	originalWriterWrite: Fp,
	originalWriterFinal: Ip,
	originalIdentificationToBER: qp,
	originalLengthToBER: Xp,
	originalIntegerToBER: Eh,
	originalOctetStringToBER: hh,
	originalBitStringToBER: yh,
	originalConstructedToBER: rh,
	originalPrimitiveToBER: Pm
}), Rm({
	Integer: kh,
	Null: uh,
	Sequence: Vh
});
// node_modules/@icp-sdk/core/lib/esm/identity/secp256k1/pem.js
var Pg = "-----BEGIN EC PRIVATE KEY-----", Fg = "-----END EC PRIVATE KEY-----";
function Ig(e) {
	let t = e.trim().split("\n"), n = t[0].trim(), r = t[t.length - 1].trim();
	if (t.length < 3) throw Error("Invalid PEM format");
	if (!n.startsWith(Pg)) throw Error("Invalid PEM header");
	if (!r.startsWith(Fg)) throw Error("Invalid PEM footer");
	let i = t.slice(1, -1).join("").replace(/\r?\n/g, ""), a = Uint8Array.from(atob(i), (e) => e.charCodeAt(0));
	try {
		if (!eh(a).result.toString().includes("OBJECT IDENTIFIER : 1.3.132.0.10")) throw Error("Invalid curve, must be secp256k1");
		return a.slice(7, 39);
	} catch (e) {
		throw Error(`Encountered error while parsing PEM key: ${e}`, { cause: e });
	}
}
// node_modules/@icp-sdk/core/lib/esm/identity/secp256k1/secp256k1.js
function Lg(e) {
	return typeof e == "object" && !!e;
}
var Rg = class e {
	static fromRaw(t) {
		return new e(t);
	}
	static fromDer(t) {
		return new e(this.derDecode(t));
	}
	static from(e) {
		if (typeof e == "string") {
			let t = Ee(e);
			return this.fromRaw(t);
		}
		if (Lg(e)) {
			let t = e;
			if (Lg(t) && Object.hasOwnProperty.call(t, "__derEncodedPublicKey__")) return this.fromDer(t);
			if (ArrayBuffer.isView(t)) {
				let e = t;
				return this.fromRaw(sr(e.buffer));
			}
			if (t instanceof ArrayBuffer) return this.fromRaw(sr(t));
			if ("rawKey" in t && t.rawKey !== void 0) return this.fromRaw(t.rawKey);
			if ("derKey" in t) return this.fromDer(t.derKey);
			if ("toDer" in t) return this.fromDer(t.toDer());
		}
		throw Error("Cannot construct Secp256k1PublicKey from the provided key.");
	}
	static derEncode(e) {
		let t = sr(Cp(e, Sp).buffer);
		return t.__derEncodedPublicKey__ = void 0, t;
	}
	static derDecode(e) {
		return wp(e, Sp);
	}
	#e;
	get rawKey() {
		return this.#e;
	}
	#t;
	get derKey() {
		return this.#t;
	}
	constructor(t) {
		this.#e = t.slice(), this.#t = e.derEncode(this.#e);
	}
	toDer() {
		return this.derKey;
	}
	toRaw() {
		return this.rawKey;
	}
}, zg = class e extends lu {
	static generate(e) {
		if (e && e.length !== 32) throw Error("Secp256k1 Seed needs to be 32 bytes long.");
		let t;
		if (e) {
			if (t = e, !mf.utils.isValidSecretKey(t)) throw Error("The seed is invalid.");
		} else for (t = Me(32); !mf.utils.isValidSecretKey(t);) t = Me(32);
		let n = mf.getPublicKey(t, !1), r = Rg.fromRaw(n);
		return new this(r, t);
	}
	static fromParsedJson(t) {
		let [n, r] = t;
		return new e(Rg.fromRaw(Ee(n)), Ee(r));
	}
	static fromJSON(e) {
		let t = JSON.parse(e);
		if (Array.isArray(t)) {
			if (typeof t[0] == "string" && typeof t[1] == "string") return this.fromParsedJson([t[0], t[1]]);
			throw Error("Deserialization error: JSON must have at least 2 items.");
		}
		throw Error(`Deserialization error: Invalid JSON type for string: ${JSON.stringify(e)}`);
	}
	static fromKeyPair(t, n) {
		return new e(Rg.fromRaw(t), n);
	}
	static fromSecretKey(t) {
		let n = mf.getPublicKey(t, !1);
		return e.fromKeyPair(n, t);
	}
	static fromSeedPhrase(t, n) {
		let r = Array.isArray(t) ? t.join(" ") : t;
		(r.split(" ").length < 12 || r.split(" ").length > 24) && console.warn("Warning - an unusually formatted seed phrase has been provided. Decoding may not work as expected");
		let i = Sf(r, n);
		if (i.byteLength !== 64) throw Error("Derived seed must be 64 bytes long.");
		let a = _p.fromMasterSeed(i).derive("m/44'/223'/0'/0/0");
		if (!a.privateKey) throw Error("Failed to derive private key from seed phrase");
		return e.fromSecretKey(a.privateKey);
	}
	static fromPem(e) {
		let t = Ig(e);
		return this.fromSecretKey(t);
	}
	constructor(e, t) {
		super(), this._publicKey = e, this._privateKey = t.slice();
	}
	toJSON() {
		return [E(this._publicKey.toRaw()), E(this._privateKey)];
	}
	getKeyPair() {
		return {
			secretKey: this._privateKey,
			publicKey: this._publicKey
		};
	}
	getPublicKey() {
		return this._publicKey;
	}
	async sign(e) {
		return mf.sign(e, this._privateKey);
	}
}, Bg = "302e020100300506032b657004220420", Vg = (e) => document.getElementById(e);
function Hg(e) {
	return Array.from(e, (e) => e.toString(16).padStart(2, "0")).join("");
}
function Ug(e) {
	if (e.includes("EC PRIVATE KEY")) return zg.fromPem(e);
	let t = e.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), n = Uint8Array.from(atob(t), (e) => e.charCodeAt(0));
	if (!Hg(n).startsWith(Bg) || n.length < 48) throw Error("not an Ed25519 PKCS#8 or secp256k1 EC PRIVATE KEY PEM");
	return sf.fromSecretKey(n.slice(16, 48));
}
var Wg = null;
function Gg(e, t) {
	Wg = e, Vg("principal").textContent = e ? e.getPrincipal().toText() : "2vxsx-fae (anonymous)", Vg("identity-kind").textContent = t;
}
async function Kg(e) {
	let t = await fetch(`/_/candid/cycles?id=${encodeURIComponent(e)}`);
	return t.ok ? BigInt((await t.json()).cycles) : null;
}
function qg(e, t, n) {
	e.textContent = t, e.className = n ? "result ok" : "result err";
}
async function Jg(e) {
	Vg("canister-title").textContent = e.name ? `${e.name} (${e.id})` : e.id;
	let t = Vg("methods");
	t.textContent = "loading the interface…";
	let n = await fetch(`/_/candid/idl.js?id=${encodeURIComponent(e.id)}`);
	if (!n.ok) {
		t.textContent = await n.text();
		return;
	}
	let r = await n.text(), { idlFactory: i } = await import(
		/* @vite-ignore */
		URL.createObjectURL(new Blob([r], { type: "text/javascript" }))
), a = i({ IDL: wr });
	t.textContent = "";
	for (let [n, r] of a._fields) t.appendChild(Yg(e.id, i, n, r));
}
function Yg(e, t, n, r) {
	let i = document.createElement("section");
	i.className = "method", i.dataset.method = n;
	let a = r.annotations.includes("query") || r.annotations.includes("composite_query"), o = document.createElement("h3");
	o.textContent = `${n} : (${r.argTypes.map((e) => e.display()).join(", ")}) → (${r.retTypes.map((e) => e.display()).join(", ")})${a ? " query" : ""}`, i.appendChild(o);
	let s = r.argTypes.map((e) => ra(e)), c = document.createElement("div");
	c.className = "args", s.forEach((e) => e.render(c)), i.appendChild(c);
	let l = document.createElement("button");
	l.textContent = a ? "Query" : "Call", l.className = "call", i.appendChild(l);
	let u = document.createElement("pre");
	u.className = "result", i.appendChild(u);
	let d = document.createElement("div");
	return d.className = "cost", i.appendChild(d), l.addEventListener("click", async () => {
		d.textContent = "", d.dataset.cycles = "";
		let i;
		try {
			i = s.map((e) => e.parse());
		} catch {
			i = [];
		}
		if (i.length !== s.length || s.some((e) => e.isRejected())) qg(u, "invalid arguments: see the fields marked in red", !1);
		else {
			l.disabled = !0, qg(u, "…", !0), d.textContent = "";
			try {
				let a = await Jd.create({
					host: location.origin,
					shouldFetchRootKey: !0,
					...Wg ? { identity: Wg } : {}
				}), o = Qd.createActor(t, {
					agent: a,
					canisterId: e
				}), s = await Kg(e), c = performance.now(), l = await o[n](...i), f = Math.round(performance.now() - c), p = await Kg(e), m = r.retTypes.length === 1 ? [l] : l;
				qg(u, `(${r.retTypes.map((e, t) => e.valueToString(m[t])).join(", ")})`, !0);
				let h = s !== null && p !== null ? s - p : null;
				d.textContent = `${h === null ? "?" : h.toString()} cycles, ${f} ms`, d.dataset.cycles = h === null ? "" : h.toString();
			} catch (e) {
				qg(u, String(e.message || e), !1);
			} finally {
				l.disabled = !1;
			}
		}
	}), i;
}
async function Xg() {
	Gg(null, "anonymous"), Vg("use-anonymous").addEventListener("click", () => Gg(null, "anonymous")), Vg("use-new").addEventListener("click", () => Gg(sf.generate(), "new browser key")), Vg("use-pem").addEventListener("click", () => {
		try {
			Gg(Ug(Vg("pem").value), "PEM"), Vg("pem-error").textContent = "";
		} catch (e) {
			Vg("pem-error").textContent = String(e.message || e);
		}
	});
	let e = await (await fetch("/_/candid/canisters.json")).json(), t = Vg("canister");
	for (let n of e) {
		let e = document.createElement("option");
		e.value = n.id, e.textContent = n.name ? `${n.name} — ${n.id}` : n.id, t.appendChild(e);
	}
	let n = new URLSearchParams(location.search).get("id"), r = async (n) => {
		t.value = n;
		let r = e.find((e) => e.id === n) || {
			id: n,
			name: null
		};
		history.replaceState(null, "", `?id=${encodeURIComponent(n)}`), await Jg(r);
	};
	t.addEventListener("change", () => void r(t.value)), n && await r(n), document.body.dataset.ready = "true";
}
Xg();
