/**
 * `codecFor`: the one definition per PostgreSQL type of how its values travel to MySQL and how
 * both sides are compared (the contract is codec.ts). Pure: it only builds SQL text and
 * converts pgoutput's text, the connectors run it.
 *
 * The rule for every type: a MySQL type that holds every value exactly where one exists (and a
 * refusal for the values it cannot hold), else PostgreSQL's own text form in a text column
 * (arrays and composites as JSON text when that rendering is exact). DDL is valid on MySQL 8.4
 * and MariaDB 10.11 alike, written the way information_schema.COLUMNS.COLUMN_TYPE shows it.
 *
 * Evidence for each choice (checked against PostgreSQL 15 and MariaDB 10.11 by
 * connectors/src/postgres/codecs.integration.test.ts; MySQL 8.4 from its documentation and source):
 * - MariaDB stores a DOUBLE or FLOAT -0 as 0, and neither server has NaN or ±Infinity: refused.
 * - MariaDB refuses '3.4028235e38' for a FLOAT ("out of range", PostgreSQL's shortest text of
 *   the largest float4 is above FLT_MAX as a double): float4 is exported as its exact double.
 * - The servers print doubles differently (PostgreSQL `1e+15`, `1e-05`; MariaDB `1e15`,
 *   `0.00001`), and not always with the same digits (PostgreSQL's Ryu may print 17 where 16
 *   are enough): floats are compared by their exact binary value (pgFloatCanonical), never by
 *   their decimal text.
 * - MySQL's JSON type parses a number with a fraction or an exponent into a double
 *   (sql/json_dom.cc, Rapid_json_handler::Double): jsonb's `1.50` would print `1.5` and
 *   `12345678901234567890123` as `1.2345678901234568e22`, and `1e400` is refused. So jsonb is
 *   kept as its canonical text in LONGTEXT, like json (whose text PostgreSQL keeps byte for byte).
 * - MySQL DECIMAL holds at most 65 digits and 30 after the point (MariaDB 38): wider numerics,
 *   and numeric without a precision, are kept as text.
 *
 * Where MySQL 8.4 and MariaDB 10.11 differ (none of it changes the DDL or the SQL here): the NO PAD
 * binary collation the target gives textual columns (utf8mb4_0900_bin / utf8mb4_nopad_bin);
 * JSON (MySQL's is binary and re-sorted, MariaDB's a checked LONGTEXT; neither is used);
 * COLUMN_TYPE spells display widths on MariaDB (`int(10) unsigned`); CAST(… AS DOUBLE) needs
 * MySQL 8.0.17 or later. MySQL 8.4 was not available to test on: its behaviour is from its docs.
 *
 * Every text form depends on the session printing it: exports and comparisons assume
 * PG_EXPORT_SETTINGS (TimeZone UTC, DateStyle ISO, IntervalStyle iso_8601, extra_float_digits 1,
 * bytea_output hex) in the exporting, the verifying and the walsender session alike. SQL here
 * uses nothing newer than PostgreSQL 13.
 */
import type { PgColumnType, SourceColumn } from '../catalog/source-table.js';
import { DataCheckError } from '../errors.js';
import type { CodecFor, CodecOptions, ColumnCodec, Storage } from './codec.js';

/** Characters of a utf8mb4 key column MySQL can index (3,072 bytes, 4 a character). */
export const KEY_TEXT_CHARS = 768;
/** Bytes of a binary key column MySQL can index. */
export const KEY_BINARY_BYTES = 3072;
/**
 * Declared lengths up to this stay VARCHAR; longer ones become LONGTEXT. A utf8mb4 VARCHAR(n)
 * counts 4n + 2 bytes against MySQL's 65,535-byte row, so a table can hold 64 of these at most.
 */
export const SHORT_TEXT_CHARS = 255;

const DECIMAL_DIGITS = 65;
const DECIMAL_SCALE = 30; // MySQL's limit; MariaDB allows 38

/** One condition a value cannot meet, in SQL (refuse.when) and in JavaScript (fromPgText). */
interface Rule {
  readonly when: (column: string) => string;
  readonly test: (text: string) => boolean;
  readonly reason: string;
  readonly hint?: string;
}

const AS_TEXT_HINT = 'Store the column as exact text (as_text in the settings file), or exclude the table.';
const KEY_HINT =
  'MySQL cannot index a longer key column: give the table a shorter key in PostgreSQL, or exclude the table.';

interface Parts {
  readonly mysqlType: string;
  readonly textual: boolean;
  readonly storage: Storage;
  readonly note: string;
  readonly pgExport: (column: string) => string;
  readonly mysqlLoad?: (variable: string) => string;
  readonly rules?: readonly Rule[];
  readonly pgCompare: (column: string) => string;
  readonly mysqlCompare: (column: string) => string;
  /** ColumnCodec.digest; by default a longtext compared as stored gets one (MD5 of the text). */
  readonly digest?: ColumnCodec['digest'];
  readonly keyByCompare?: boolean;
  /** pgoutput's text to the bound value, for a value no rule refuses. */
  readonly convert: (text: string) => string | Buffer;
}

function codec(column: SourceColumn, parts: Parts): ColumnCodec {
  const rules = parts.rules ?? [];
  const { convert } = parts;
  const digest =
    parts.digest ??
    (parts.mysqlType === 'longtext' && parts.mysqlCompare('c') === 'c'
      ? { pg: (c: string) => `md5(${parts.pgCompare(c)})`, mysql: (c: string) => `MD5(${c})` }
      : undefined);
  const built: ColumnCodec = {
    mysqlType: parts.mysqlType,
    textual: parts.textual,
    storage: parts.storage,
    note: parts.note,
    pgExport: parts.pgExport,
    ...(parts.mysqlLoad === undefined ? {} : { mysqlLoad: parts.mysqlLoad }),
    ...(rules.length === 0
      ? {}
      : {
          refuse: {
            when: (c: string) =>
              rules.length === 1 ? rules[0]!.when(c) : rules.map((r) => `(${r.when(c)})`).join(' OR '),
            reason: rules.map((r) => r.reason).join('; '),
          },
        }),
    pgCompare: parts.pgCompare,
    mysqlCompare: parts.mysqlCompare,
    ...(digest === undefined ? {} : { digest }),
    ...(parts.keyByCompare === true ? { keyByCompare: true } : {}),
    fromPgText(text: string): string | Buffer {
      for (const rule of rules) {
        if (rule.test(text)) {
          const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
          throw new DataCheckError(
            `${column.name}: the value ${JSON.stringify(shown)} cannot be stored in MySQL ${parts.mysqlType} ` +
              `(${rule.reason})`,
            { hint: rule.hint ?? AS_TEXT_HINT },
          );
        }
      }
      return convert(text);
    },
  };
  return built;
}

const identity = (text: string): string => text;
/** Characters as PostgreSQL's char_length counts them (code points). */
const charLength = (text: string): number => [...text].length;

// ---------------------------------------------------------------------------------------------
// Text forms

/**
 * Base types whose `::text` cast is not their output function (pg_cast entries with a function):
 * boolean gives 'true', character strips its padding, inet and cidr add /32, "char" gives the raw
 * byte. For them (and for types etl does not know, which may define such casts) the text form
 * comes from concat(), which calls the output function, as COPY and pgoutput do.
 */
const CAST_DIFFERS = new Set(['bool', 'bpchar', 'inet', 'cidr', 'char']);

/** The SQL that gives a value's text form exactly as its output function prints it (NULL stays NULL). */
function pgTextOf(type: PgColumnType): (column: string) => string {
  const shape = type.shape;
  if ((shape.kind === 'base' && CAST_DIFFERS.has(shape.name)) || shape.kind === 'other')
    return (c) => `(CASE WHEN ${c} IS NULL THEN NULL ELSE concat(${c}) END)`;
  // Arrays and composites: the I/O cast is record_out / array_out (and a composite whose fields
  // are all NULL is `IS NULL` yet prints "(,)": never test it with IS NULL).
  return (c) => `(${c})::text`;
}

/** The characters a text key column may hold: its share of MySQL's 3,072-byte index, 4 bytes a character. */
const keyChars = (options: CodecOptions): number =>
  Math.max(1, Math.min(KEY_TEXT_CHARS, Math.floor((options.keyBytes ?? KEY_BINARY_BYTES) / 4)));

function keyLengthRule(pgText: (c: string) => string, chars: number): Rule {
  return {
    when: (c) => `char_length(${pgText(c)}) > ${chars}`,
    test: (text) => charLength(text) > chars,
    reason: `a key value longer than ${chars} characters (MySQL indexes at most 3,072 bytes of a key)`,
    hint: KEY_HINT,
  };
}

/** The column type for text of at most `maxChars` characters (undefined: unbounded). */
function textColumn(
  maxChars: number | undefined,
  options: CodecOptions,
): { type: string; rule: boolean; chars: number } {
  const chars = keyChars(options);
  if (options.key === true) {
    const n = maxChars === undefined ? chars : Math.min(Math.max(maxChars, 1), chars);
    return { type: `varchar(${n})`, rule: maxChars === undefined || maxChars > chars, chars };
  }
  if (maxChars !== undefined && maxChars <= SHORT_TEXT_CHARS)
    return { type: `varchar(${Math.max(maxChars, 1)})`, rule: false, chars };
  return { type: 'longtext', rule: false, chars };
}

interface TextFormOptions {
  /** The most characters a value's text can have, when the type bounds it. */
  readonly maxChars?: number;
  readonly note: string;
  readonly rules?: readonly Rule[];
  readonly storage?: Storage;
}

/** PostgreSQL's own text form in a text column: exact for every value of every type. */
function textForm(column: SourceColumn, options: CodecOptions, text: TextFormOptions): ColumnCodec {
  const pgText = pgTextOf(column.type);
  const { type, rule, chars } = textColumn(text.maxChars, options);
  return codec(column, {
    mysqlType: type,
    textual: true,
    storage: text.storage ?? 'text',
    note: text.note,
    pgExport: pgText,
    rules: [...(text.rules ?? []), ...(rule ? [keyLengthRule(pgText, chars)] : [])],
    pgCompare: pgText,
    mysqlCompare: (c) => c,
    convert: identity,
  });
}

// ---------------------------------------------------------------------------------------------
// Floating point

/**
 * A double in one canonical text, the same on both servers: `[-]MpE`, the integers M and E with
 * value = M × 2^E, E = max(binary exponent − 52, −1074) so that each double has one spelling
 * (M in [2^52, 2^53) unless subnormal); `0` for zero, `-0` for negative zero (PostgreSQL only).
 * Built by arithmetic that is exact in IEEE 754 (dividing by a power of two; the logarithm only
 * guesses the exponent, which is then corrected), never from the servers' decimal text:
 * `v` is a cheap float8 expression (a column), repeated in the result.
 * PostgreSQL's Ryu is built with STRICTLY_SHORTEST off and prints some doubles with 17 digits
 * where MariaDB prints the shortest 16 (-7.0565261288925024e+16 and -7.056526128892502e16 are
 * the same double).
 */
export function pgFloatCanonical(v: string): string {
  // ln() only guesses the exponent (within one, corrected below); its argument is never 0.
  const b = `least(greatest(floor(ln(greatest(abs(${v}), 5e-324::float8)) / ln(2)), -1074), 1023)`;
  const scaled = `abs(${v}) / power(2::float8, ${b})`;
  const e = `greatest(${b} + CASE WHEN ${scaled} >= 2 THEN 1 WHEN ${scaled} < 1 THEN -1 ELSE 0 END - 52, -1074)::int`;
  return (
    `CASE WHEN ${v} = 0 THEN CASE WHEN atan2(0, ${v}) > 0 THEN '-0' ELSE '0' END ` +
    `WHEN ${v} IN ('NaN', 'Infinity', '-Infinity') THEN (${v})::text ` +
    `ELSE CASE WHEN ${v} < 0 THEN '-' ELSE '' END || (abs(${v}) / power(2::float8, ${e}))::int8::text || 'p' || ` +
    `(${e})::text END`
  );
}

/** The same canonical text in MySQL. */
export function mysqlFloatCanonical(v: string): string {
  const b = `LEAST(GREATEST(FLOOR(LOG2(GREATEST(ABS(${v}), 5e-324))), -1074), 1023)`;
  const scaled = `ABS(${v}) / POW(2, ${b})`;
  const e = `GREATEST(${b} + CASE WHEN ${scaled} >= 2 THEN 1 WHEN ${scaled} < 1 THEN -1 ELSE 0 END - 52, -1074)`;
  return (
    `CASE WHEN ${v} = 0 THEN '0' ELSE CONCAT(IF(${v} < 0, '-', ''), ` +
    `CAST(ABS(${v}) / POW(2, ${e}) AS UNSIGNED), 'p', CAST(${e} AS SIGNED)) END`
  );
}

const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity']);

function floatCodec(column: SourceColumn, single: boolean): ColumnCodec {
  const rules: Rule[] = [
    {
      when: (c) => `${c} IN ('NaN', 'Infinity', '-Infinity')`,
      test: (t) => NON_FINITE.has(t),
      reason: 'MySQL FLOAT and DOUBLE have no NaN or ±Infinity',
    },
    {
      // atan2(0, -0) is π, atan2(0, +0) is 0.
      when: (c) => `${c} = 0 AND atan2(0, ${c}) > 0`,
      test: (t) => /^-0(\.0*)?(e[-+]?\d+)?$/i.test(t),
      reason: 'MySQL stores -0 as 0',
    },
  ];
  // float4 leaves as its exact double: PostgreSQL's shortest float4 text of the largest float4
  // (3.4028235e+38) is above FLT_MAX as a double, and MySQL refuses it for a FLOAT.
  const pgDouble = single ? (c: string) => `(${c})::float8` : (c: string) => c;
  return codec(column, {
    mysqlType: single ? 'float' : 'double',
    textual: false,
    storage: 'native',
    note: single ? 'exact: float (compared as its double)' : 'exact: double',
    pgExport: pgDouble,
    rules,
    pgCompare: (c) => pgFloatCanonical(single ? `(${c})::float8` : c),
    // A FLOAT is read as the double it is exactly (MySQL prints a FLOAT with 6 digits).
    mysqlCompare: (c) => mysqlFloatCanonical(single ? `CAST(${c} AS DOUBLE)` : c),
    keyByCompare: true,
    convert: single ? (t) => String(Math.fround(Number(t))) : identity,
  });
}

// ---------------------------------------------------------------------------------------------
// Numbers

/** numeric(p,s) from its typmod: precision, and a scale that may be negative or above p (PostgreSQL 15+). */
export function numericTypmod(typmod: number): { precision: number; scale: number } | undefined {
  if (typmod < 4) return undefined;
  const t = typmod - 4;
  return { precision: (t >> 16) & 0xffff, scale: ((t & 0x7ff) ^ 1024) - 1024 };
}

function nativeInteger(column: SourceColumn, mysqlType: string): ColumnCodec {
  return codec(column, {
    mysqlType,
    textual: false,
    storage: 'native',
    note: `exact: ${mysqlType}`,
    pgExport: (c) => c,
    pgCompare: (c) => `(${c})::text`,
    mysqlCompare: (c) => `CAST(${c} AS CHAR)`,
    convert: identity,
  });
}

function numericCodec(column: SourceColumn, options: CodecOptions): ColumnCodec {
  const mod = numericTypmod(column.type.typmod);
  const nanRule: Rule = {
    when: (c) => `${c} = 'NaN'`,
    test: (t) => t === 'NaN',
    reason: 'MySQL DECIMAL has no NaN',
  };
  if (mod === undefined)
    return textForm(column, options, {
      note: 'PostgreSQL text form (numeric without a precision: no MySQL DECIMAL holds every value)',
    });
  // numeric(3,-2) holds 12300 (5 digits, no fraction); numeric(2,5) holds 0.00012 (5 after the point).
  const digits = mod.scale < 0 ? mod.precision - mod.scale : Math.max(mod.precision, mod.scale);
  const scale = Math.max(mod.scale, 0);
  if (digits > DECIMAL_DIGITS || scale > DECIMAL_SCALE)
    return textForm(column, options, {
      maxChars: digits + 3, // sign, point, a leading 0
      note: `PostgreSQL text form (${column.type.formatted} is wider than MySQL's decimal(65,30))`,
    });
  const mysqlType = `decimal(${digits},${scale})`;
  return codec(column, {
    mysqlType,
    textual: false,
    storage: 'native',
    note: `exact: ${mysqlType}`,
    pgExport: (c) => c,
    rules: [nanRule],
    pgCompare: (c) => `(${c})::text`,
    mysqlCompare: (c) => `CAST(${c} AS CHAR)`,
    convert: identity,
  });
}

/**
 * money's text is the locale's (`$1,234.56`, lc_monetary): it leaves as numeric, and its
 * fraction digits are lc_monetary's too (2 in C and most locales; 0 and 3 exist). decimal(21,2)
 * holds the whole int8 range at 0, 1 or 2 digits; a value with a third non-zero digit is refused.
 */
function moneyCodec(column: SourceColumn): ColumnCodec {
  return codec(column, {
    mysqlType: 'decimal(21,2)',
    textual: false,
    storage: 'native',
    note: "exact: decimal(21,2) (the amount, without the locale's symbols)",
    pgExport: (c) => `round((${c})::numeric, 2)`,
    rules: [
      {
        when: (c) => `(${c})::numeric <> round((${c})::numeric, 2)`,
        test: (t) => /[.,]\d\d0*[1-9]/.test(moneyNumber(t) ?? ''),
        reason: 'more than 2 digits after the point (lc_monetary)',
      },
    ],
    pgCompare: (c) => `round((${c})::numeric, 2)::text`,
    mysqlCompare: (c) => `CAST(${c} AS CHAR)`,
    convert: (t) => {
      const n = moneyNumber(t);
      if (n === undefined)
        throw new DataCheckError(`${column.name}: cannot read the money value ${JSON.stringify(t)}`, {
          hint: 'Run the PostgreSQL sessions with lc_monetary = C (money prints in its locale).',
        });
      return n;
    },
  });
}

/** `$1,234.56`, `-$1,234.56`, `($1.00)`, `1234` → `1234.56`-style numeric text; undefined when unreadable. */
function moneyNumber(text: string): string | undefined {
  const negative = text.includes('-') || (text.includes('(') && text.includes(')'));
  const body = text.replace(/[^0-9.,]/g, '');
  if (!/^\d[\d,]*(\.\d+)?$/.test(body)) return undefined;
  const plain = body.replace(/,/g, '');
  return `${negative && /[1-9]/.test(plain) ? '-' : ''}${plain}`;
}

// ---------------------------------------------------------------------------------------------
// Dates and times

const outOfDateRange = (year: string, bc: string | undefined): boolean =>
  bc !== undefined || year.length !== 4 || year < '1000';

function dateCodec(column: SourceColumn): ColumnCodec {
  const shape = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/;
  return codec(column, {
    mysqlType: 'date',
    textual: false,
    storage: 'native',
    note: 'exact: date (years 1000 to 9999)',
    pgExport: (c) => c, // DateStyle ISO: YYYY-MM-DD
    rules: [
      {
        when: (c) => `${c} < '1000-01-01' OR ${c} > '9999-12-31'`,
        test: (t) => {
          const m = shape.exec(t);
          return m === null || outOfDateRange(m[1] ?? '', m[4]);
        },
        reason: 'MySQL DATE holds the years 1000 to 9999 (no BC dates, no infinity)',
      },
    ],
    pgCompare: (c) => `to_char(${c}, 'YYYY-MM-DD')`,
    mysqlCompare: (c) => `DATE_FORMAT(${c}, '%Y-%m-%d')`,
    convert: identity,
  });
}

/** Fractional-second digits of time/timestamp(p): 6 without a typmod. */
const fraction = (typmod: number): number => (typmod < 0 || typmod > 6 ? 6 : typmod);
const withFraction = (base: string, p: number): string => (p === 0 ? base : `${base}(${p})`);

const TIMESTAMP_TEXT = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?( BC)?$/;

function timestampCodec(column: SourceColumn): ColumnCodec {
  const p = fraction(column.type.typmod);
  const mysqlType = withFraction('datetime', p);
  return codec(column, {
    mysqlType,
    textual: false,
    storage: 'native',
    note: `exact: ${mysqlType} (years 1000 to 9999)`,
    pgExport: (c) => c, // DateStyle ISO
    rules: [
      {
        when: (c) => `${c} < '1000-01-01' OR ${c} > '9999-12-31 23:59:59.999999'`,
        test: (t) => {
          const m = TIMESTAMP_TEXT.exec(t);
          return m === null || outOfDateRange(m[1] ?? '', m[8]);
        },
        reason: 'MySQL DATETIME holds the years 1000 to 9999 (no BC dates, no infinity)',
      },
    ],
    pgCompare: (c) => `to_char(${c}, 'YYYY-MM-DD HH24:MI:SS.US')`,
    mysqlCompare: (c) => `DATE_FORMAT(${c}, '%Y-%m-%d %H:%i:%s.%f')`,
    convert: (t) => {
      const m = TIMESTAMP_TEXT.exec(t);
      if (m === null) return t;
      return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}.${(m[7] ?? '').padEnd(6, '0')}`;
    },
  });
}

const TIMESTAMPTZ_TEXT =
  /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?( BC)?$/;

const UTC_TEXT = /^(\d{4})(-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/;

/**
 * timestamptz text with any offset (DateStyle ISO) → its UTC `YYYY-MM-DD HH:MM:SS.ffffff`; undefined outside
 * the years 1000 to 9999 (in UTC), for BC and for infinity.
 */
export function timestamptzToUtc(text: string): string | undefined {
  // The common case, a UTC session's text (the walsender's and the export's): no date arithmetic.
  const utc = UTC_TEXT.exec(text);
  if (utc !== null) {
    const year = Number(utc[1]);
    return year < 1000 ? undefined : `${utc[1]}${utc[2]} ${utc[3]}.${(utc[4] ?? '').padEnd(6, '0')}`;
  }
  const m = TIMESTAMPTZ_TEXT.exec(text);
  if (m === null || m[12] !== undefined) return undefined;
  const n = (i: number): number => Number(m[i] ?? '0');
  const offset = (m[8] === '-' ? -1 : 1) * (n(9) * 3600 + n(10) * 60 + n(11));
  const date = new Date(0);
  date.setUTCFullYear(n(1), n(2) - 1, n(3));
  date.setUTCHours(n(4), n(5), n(6) - offset, 0);
  const year = date.getUTCFullYear();
  if (year < 1000 || year > 9999) return undefined;
  const two = (v: number): string => String(v).padStart(2, '0');
  return (
    `${year}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}.` +
    (m[7] ?? '').padEnd(6, '0')
  );
}

function timestamptzCodec(column: SourceColumn): ColumnCodec {
  const p = fraction(column.type.typmod);
  const mysqlType = withFraction('datetime', p);
  // The demo's replicas have always held timestamptz as UTC DATETIME(6) printed this way.
  const utc = (c: string): string => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`;
  // fromPgText tests the value, then converts it: one conversion serves both (cdc apply's hot path).
  let lastText: string | undefined;
  let lastUtc: string | undefined;
  const toUtc = (text: string): string | undefined => {
    if (text !== lastText) {
      lastText = text;
      lastUtc = timestamptzToUtc(text);
    }
    return lastUtc;
  };
  return codec(column, {
    mysqlType,
    textual: false,
    storage: 'native',
    note: `exact: ${mysqlType} in UTC (years 1000 to 9999)`,
    pgExport: utc,
    rules: [
      {
        when: (c) => `${c} < '1000-01-01 00:00:00+00' OR ${c} > '9999-12-31 23:59:59.999999+00'`,
        test: (t) => toUtc(t) === undefined,
        reason: 'MySQL DATETIME holds the years 1000 to 9999 in UTC (no BC dates, no infinity)',
      },
    ],
    pgCompare: utc,
    mysqlCompare: (c) => `DATE_FORMAT(${c}, '%Y-%m-%d %H:%i:%s.%f')`,
    convert: (t) => toUtc(t) ?? t,
  });
}

function timeCodec(column: SourceColumn): ColumnCodec {
  const mysqlType = withFraction('time', fraction(column.type.typmod));
  return codec(column, {
    mysqlType,
    textual: false,
    storage: 'native',
    // PostgreSQL's time runs to 24:00:00; MySQL's TIME to 838:59:59.
    note: `exact: ${mysqlType}`,
    pgExport: (c) => c,
    pgCompare: (c) => `to_char(${c}, 'HH24:MI:SS.US')`,
    mysqlCompare: (c) => `TIME_FORMAT(${c}, '%H:%i:%s.%f')`,
    convert: identity,
  });
}

// ---------------------------------------------------------------------------------------------
// Binary

/** bytea text (hex, or the old escape format) → its bytes. */
export function byteaFromText(text: string): Buffer {
  if (text.startsWith('\\x')) return Buffer.from(text.slice(2), 'hex');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      if (text[i + 1] === '\\') {
        bytes.push(92);
        i++;
      } else {
        bytes.push(parseInt(text.slice(i + 1, i + 4), 8));
        i += 3;
      }
    } else bytes.push(...Buffer.from(text[i] ?? '', 'latin1'));
  }
  return Buffer.from(bytes);
}

function byteaCodec(column: SourceColumn, options: CodecOptions): ColumnCodec {
  const key = options.key === true;
  const limit = Math.max(1, Math.min(KEY_BINARY_BYTES, options.keyBytes ?? KEY_BINARY_BYTES));
  return codec(column, {
    mysqlType: key ? `varbinary(${limit})` : 'longblob',
    textual: false,
    storage: 'native',
    note: key ? `exact: varbinary(${limit})` : 'exact: longblob',
    pgExport: (c) => `encode(${c}, 'hex')`,
    mysqlLoad: (v) => `UNHEX(${v})`,
    rules: key
      ? [
          {
            when: (c) => `octet_length(${c}) > ${limit}`,
            test: (t) => byteaFromText(t).length > limit,
            reason: `a key value longer than ${limit} bytes (MySQL's index limit)`,
            hint: KEY_HINT,
          },
        ]
      : [],
    pgCompare: (c) => `encode(${c}, 'hex')`,
    mysqlCompare: (c) => `LOWER(HEX(${c}))`,
    // The bytes themselves: HEX of more than 8 MB is beyond MariaDB's string limit.
    ...(key ? {} : { digest: { pg: (c: string) => `md5(${c})`, mysql: (c: string) => `MD5(${c})` } }),
    convert: byteaFromText,
  });
}

// ---------------------------------------------------------------------------------------------
// Arrays and composites as JSON

type Render = (text: string) => string;

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;
/** PostgreSQL's escape_json and JSON.stringify escape the same characters the same way. */
const jsonString: Render = (t) => JSON.stringify(t);

/**
 * How to_json() renders a value of this type, from its text form; undefined when it cannot be
 * reproduced here (types etl does not know may cast to json; arrays nested in composites could
 * lose their lower bounds unseen).
 */
function jsonRender(type: PgColumnType): Render | undefined {
  const shape = type.shape;
  switch (shape.kind) {
    case 'base':
      switch (shape.name) {
        case 'int2':
        case 'int4':
        case 'int8':
        case 'float4':
        case 'float8':
        case 'numeric':
          return (t) => (JSON_NUMBER.test(t) ? t : jsonString(t));
        case 'bool':
          return (t) => (t === 't' ? 'true' : 'false');
        case 'json':
        case 'jsonb':
          return identity;
        case 'timestamp':
          return (t) => jsonString(t.replace(/^(\d{4,}-\d\d-\d\d) /, '$1T'));
        case 'timestamptz':
          return (t) =>
            jsonString(
              t.replace(
                /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)(:\d\d)?(:\d\d)?( BC)?$/,
                (_, d: string, time: string, h: string, mi?: string, s?: string, bc?: string) =>
                  `${d}T${time}${h}${mi ?? ':00'}${s ?? ''}${bc ?? ''}`,
              ),
            );
        case 'int2vector':
        case 'oidvector':
          return undefined; // to_json renders these as arrays
        default:
          return jsonString; // date and every other built-in type: the output text as a JSON string
      }
    case 'enum':
    case 'range':
      return jsonString;
    case 'composite': {
      const fields = shape.fields.map((f) => ({ key: JSON.stringify(f.name), render: jsonRender(f.type) }));
      if (fields.some((f) => f.render === undefined) || shape.fields.some((f) => f.type.shape.kind === 'array'))
        return undefined;
      if (fields.length === 0) return () => '{}';
      return (t) => {
        const values = parseRecord(t);
        if (values.length !== fields.length) throw new Error(`a ${shape.name} value has ${values.length} fields: ${t}`);
        const members = fields.map((f, i) => {
          const value = values[i];
          const json = value === null || value === undefined || f.render === undefined ? 'null' : f.render(value);
          return `${f.key}:${json}`;
        });
        return `{${members.join(',')}}`;
      };
    }
    case 'array':
    case 'other':
      return undefined;
  }
}

type ArrayItem = string | null | ArrayItem[];

/** array_out's text (`{1,"a b",NULL,{2}}`) into its nested items; the delimiter is the element type's. */
export function parseArray(text: string, delimiter = ','): ArrayItem[] {
  let i = 0;
  const parseList = (): ArrayItem[] => {
    if (text[i] !== '{') throw new Error(`not an array: ${text}`);
    i++;
    const items: ArrayItem[] = [];
    if (text[i] === '}') {
      i++;
      return items;
    }
    for (;;) {
      if (text[i] === '{') items.push(parseList());
      else if (text[i] === '"') {
        let value = '';
        for (i++; text[i] !== '"'; i++) {
          if (i >= text.length) throw new Error(`unterminated array element: ${text}`);
          if (text[i] === '\\') i++;
          value += text[i];
        }
        i++;
        items.push(value);
      } else {
        let value = '';
        let escaped = false;
        while (i < text.length && text[i] !== delimiter && text[i] !== '}') {
          if (text[i] === '\\') {
            i++;
            escaped = true;
          }
          value += text[i];
          i++;
        }
        items.push(!escaped && value.toUpperCase() === 'NULL' ? null : value);
      }
      if (text[i] === delimiter) i++;
      else if (text[i] === '}') {
        i++;
        return items;
      } else throw new Error(`malformed array: ${text}`);
    }
  };
  return parseList();
}

/** record_out's text (`(1,"a b",,"")`) into its fields (null for an empty unquoted field). */
export function parseRecord(text: string): (string | null)[] {
  if (!text.startsWith('(') || !text.endsWith(')')) throw new Error(`not a record: ${text}`);
  const fields: (string | null)[] = [];
  let i = 1;
  const end = text.length - 1;
  for (;;) {
    let value = '';
    let quotedOrEscaped = false;
    while (i < end && text[i] !== ',') {
      const ch = text[i];
      if (ch === '"') {
        quotedOrEscaped = true;
        for (i++; i < end; i++) {
          if (text[i] === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i++;
            } else break;
          } else if (text[i] === '\\') {
            value += text[++i] ?? '';
          } else value += text[i];
        }
        i++;
      } else if (ch === '\\') {
        quotedOrEscaped = true;
        value += text[i + 1] ?? '';
        i += 2;
      } else {
        value += ch;
        i++;
      }
    }
    fields.push(value === '' && !quotedOrEscaped ? null : value);
    if (i >= end) return fields;
    i++; // the comma
  }
}

function renderArray(items: ArrayItem[], render: Render): string {
  const rendered = items.map((item) =>
    item === null ? 'null' : Array.isArray(item) ? renderArray(item, render) : render(item),
  );
  return `[${rendered.join(',')}]`;
}

function jsonCodec(column: SourceColumn, options: CodecOptions, render: Render, isArray: boolean): ColumnCodec {
  const element = column.type.shape.kind === 'array' ? column.type.shape.element.shape : undefined;
  const delimiter = element?.kind === 'base' && element.name === 'box' ? ';' : ',';
  const json = (c: string): string => `to_json(${c})::text`;
  const rules: Rule[] = isArray
    ? [
        {
          // to_json drops lower bounds: '[2:3]={1,2}' and '{1,2}' would both be [1,2].
          when: (c) => `array_dims(${c}) !~ '^(\\[1:[0-9]+\\])+$'`,
          test: (t) => t.startsWith('['),
          reason: 'an array whose lower bound is not 1 (JSON cannot show it)',
        },
      ]
    : [];
  const { type, rule, chars } = textColumn(undefined, options);
  if (rule) rules.push(keyLengthRule(json, chars));
  return codec(column, {
    mysqlType: type,
    textual: true,
    storage: 'json',
    note: isArray ? 'JSON text of to_json(), exact' : 'JSON object of to_json(), exact',
    pgExport: json,
    rules,
    pgCompare: json,
    mysqlCompare: (c) => c,
    convert: isArray ? (t) => renderArray(parseArray(t, delimiter), render) : render,
  });
}

// ---------------------------------------------------------------------------------------------

/** Text lengths of the bounded base types kept as text. */
const TEXT_LENGTHS: Readonly<Record<string, number>> = {
  name: 63,
  char: 4, // "char": one byte, \ooo when not ASCII
  inet: 50, // IPv6 with an IPv4 tail and /128: 49
  cidr: 50,
  macaddr: 17,
  macaddr8: 23,
  timetz: 32, // 24:00:00.000000+15:59:59
  interval: 64, // IntervalStyle iso_8601: P-178956970Y-8M-2147483648DT-2562047788H-54.775808S
  pg_lsn: 17,
  tid: 24,
};

const TEXT_NOTES: Readonly<Record<string, string>> = {
  interval: 'PostgreSQL text form (IntervalStyle iso_8601)',
  timetz: 'PostgreSQL text form (MySQL has no time with a time zone)',
  inet: 'PostgreSQL text form (host and, unless it is /32 or /128, the mask)',
  jsonb: "jsonb's canonical text (MySQL's JSON type would turn 1.50 into 1.5)",
  json: 'JSON text, exact (byte for byte, duplicate keys and order kept)',
};

function baseCodec(column: SourceColumn, name: string, options: CodecOptions): ColumnCodec {
  const typmod = column.type.typmod;
  switch (name) {
    case 'int2':
      return nativeInteger(column, 'smallint');
    case 'int4':
      return nativeInteger(column, 'int');
    case 'int8':
      return nativeInteger(column, 'bigint');
    case 'oid':
    case 'xid':
    case 'cid':
      return nativeInteger(column, 'int unsigned');
    case 'xid8':
      return nativeInteger(column, 'bigint unsigned');
    case 'bool':
      return codec(column, {
        mysqlType: 'tinyint(1)',
        textual: false,
        storage: 'native',
        note: 'exact: tinyint(1), 1 or 0',
        pgExport: (c) => `(${c})::int`, // COPY prints t/f, which MySQL reads as 0
        pgCompare: (c) => `(${c})::int::text`,
        mysqlCompare: (c) => `CAST(${c} AS CHAR)`,
        convert: (t) => {
          if (t === 't' || t === 'f') return t === 't' ? '1' : '0';
          throw new Error(`${column.name}: ${JSON.stringify(t)} is not boolean text`);
        },
      });
    case 'numeric':
      return numericCodec(column, options);
    case 'money':
      return moneyCodec(column);
    case 'float4':
      return floatCodec(column, true);
    case 'float8':
      return floatCodec(column, false);
    case 'bpchar':
      return textForm(column, options, {
        ...(typmod >= 4 ? { maxChars: typmod - 4 } : {}),
        note: 'exact: text, padded with spaces to its length as PostgreSQL prints it',
        storage: 'native',
      });
    case 'varchar':
    case 'bit':
    case 'varbit': {
      const n = name === 'varchar' ? typmod - 4 : typmod;
      return textForm(column, options, {
        ...(typmod >= 0 && n >= 0 ? { maxChars: n } : {}),
        note: name === 'varchar' ? 'exact: text' : "PostgreSQL text form ('0' and '1')",
        storage: name === 'varchar' ? 'native' : 'text',
      });
    }
    case 'text':
      return textForm(column, options, { note: 'exact: text', storage: 'native' });
    case 'bytea':
      return byteaCodec(column, options);
    case 'date':
      return dateCodec(column);
    case 'timestamp':
      return timestampCodec(column);
    case 'timestamptz':
      return timestamptzCodec(column);
    case 'time':
      return timeCodec(column);
    case 'uuid':
      // Not MariaDB's UUID type: it stores v1-v5 values with their bytes reordered.
      return codec(column, {
        mysqlType: 'char(36)',
        textual: true,
        storage: 'text',
        note: 'PostgreSQL text form (lower-case hex with dashes)',
        pgExport: (c) => c,
        pgCompare: (c) => `(${c})::text`,
        mysqlCompare: (c) => c,
        convert: identity,
      });
    default:
      break;
  }
  const maxChars = TEXT_LENGTHS[name];
  return textForm(column, options, {
    ...(maxChars === undefined ? {} : { maxChars }),
    note: TEXT_NOTES[name] ?? 'PostgreSQL text form',
  });
}

/** The codec of one column (see codec.ts for what each part means). */
export const codecFor: CodecFor = (column, options = {}) => {
  const shape = column.type.shape;
  if (options.asText === true) return textForm(column, options, { note: 'PostgreSQL text form (as_text)' });
  switch (shape.kind) {
    case 'base':
      return baseCodec(column, shape.name, options);
    case 'enum': {
      const longest = Math.max(1, ...shape.labels.map(charLength));
      return textForm(column, options, {
        maxChars: longest,
        note: 'the label as text',
        rules: [
          {
            // A label added after the replica was made could be longer.
            when: (c) => `char_length((${c})::text) > ${longest}`,
            test: (t) => charLength(t) > longest,
            reason: `a label longer than the ${longest} characters the replica's column holds (re-create the replica)`,
          },
        ],
      });
    }
    case 'array': {
      const render = jsonRender(shape.element);
      if (render !== undefined) return jsonCodec(column, options, render, true);
      return textForm(column, options, { note: 'PostgreSQL text form of the array' });
    }
    case 'composite': {
      const render = jsonRender(column.type);
      if (render !== undefined) return jsonCodec(column, options, render, false);
      return textForm(column, options, { note: 'PostgreSQL text form of the row' });
    }
    case 'range':
      return textForm(column, options, { note: 'PostgreSQL text form of the range' });
    case 'other':
      return textForm(column, options, { note: 'PostgreSQL text form' });
  }
};
