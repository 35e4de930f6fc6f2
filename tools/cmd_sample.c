/* SPDX-License-Identifier: MIT */
/*
 * cmd_sample - `valise sample`: write a deterministic set of sample records.
 *
 * One JSON array: 2 to 4 authorities (times --count-scale) for every State of
 * Debian's iso-codes list plus the European Union, then a compendium of
 * agreements: for each regional platform of the seed document (Indian Ocean
 * Commission, Sahel, REFCO) a regional agreement and several bilateral ones
 * with per-party requirements, and the UNTOC/1988 Convention family as
 * multilateral agreements with at most VL_MAX_STATES parties each.
 *
 * Everything is fictional: person names are random pairs of generic first and
 * last names, e-mail domains are example.<tld>, phone numbers use the 555x
 * ranges. The same --seed always gives the same bytes; each State draws from
 * its own stream (seed and State code), so adding a State to iso-codes does
 * not change the others. Every record passes vl_record_from_json() before it
 * is written; a failure stops the command with the record id and the reason.
 *
 * "MU-01" (Mauritius) and "MG-01" (Madagascar) always exist and are central
 * authorities for extradition and MLA: the demo uses them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vl_cli.h"
#include "vl_record.h"

int cmd_sample(int argc, char **argv);

#define S_ISO_FILE "/usr/share/iso-codes/json/iso_3166-1.json"
#define S_MAX_SCALE 20
/* Most entries accepted from the ISO list (249 today). */
#define S_MAX_STATES_LIST 1000

/* ======================================================================== */
/* Deterministic randomness: splitmix64                                     */
/* ======================================================================== */

typedef struct {
    uint64_t s;
} s_rng_t;

static uint64_t
s_next(s_rng_t *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* 0..n-1 (n > 0); the modulo bias is irrelevant for sample data. */
static unsigned
s_below(s_rng_t *r, unsigned n)
{
    return (unsigned)(s_next(r) % n);
}

static s_rng_t
s_rng_for(uint64_t seed, const char *label)
{
    s_rng_t r = { seed ^ 0x76616c6973650000ull };
    for (const char *p = label; *p; p++) {
        r.s ^= (unsigned char)*p;
        s_next(&r);
    }
    return r;
}

#define S_N(a) (sizeof(a) / sizeof((a)[0]))
#define S_PICK(r, a) ((a)[s_below((r), (unsigned)S_N(a))])

/* ======================================================================== */
/* Per-State facts the iso-codes file lacks                                  */
/* ======================================================================== */

/* "code calling-code time-zone working-languages" per line. Time zones are
 * IANA names, or UTC offsets for places without a settled population. */
static const char s_state_table[] =
    "AW 297 America/Aruba nl,en,es\n" "AF 93 Asia/Kabul fa,ps,en\n"
    "AO 244 Africa/Luanda pt,en\n" "AI 1264 America/Anguilla en\n"
    "AX 358 Europe/Mariehamn sv,fi,en\n" "AL 355 Europe/Tirane sq,en\n"
    "AD 376 Europe/Andorra ca,fr,es\n" "AE 971 Asia/Dubai ar,en\n"
    "AR 54 America/Argentina/Buenos_Aires es,en\n" "AM 374 Asia/Yerevan hy,ru,en\n"
    "AS 1684 Pacific/Pago_Pago en,sm\n" "AQ 672 UTC+12:00 en\n"
    "TF 262 Indian/Kerguelen fr,en\n" "AG 1268 America/Antigua en\n"
    "AU 61 Australia/Sydney en\n" "AT 43 Europe/Vienna de,en\n"
    "AZ 994 Asia/Baku az,ru,en\n" "BI 257 Africa/Bujumbura fr,rn,en\n"
    "BE 32 Europe/Brussels fr,nl,de,en\n" "BJ 229 Africa/Porto-Novo fr\n"
    "BQ 599 America/Kralendijk nl,en\n" "BF 226 Africa/Ouagadougou fr\n"
    "BD 880 Asia/Dhaka bn,en\n" "BG 359 Europe/Sofia bg,en\n"
    "BH 973 Asia/Bahrain ar,en\n" "BS 1242 America/Nassau en\n"
    "BA 387 Europe/Sarajevo bs,hr,sr,en\n" "BL 590 America/St_Barthelemy fr\n"
    "BY 375 Europe/Minsk be,ru\n" "BZ 501 America/Belize en,es\n"
    "BM 1441 Atlantic/Bermuda en\n" "BO 591 America/La_Paz es\n"
    "BR 55 America/Sao_Paulo pt,en,es\n" "BB 1246 America/Barbados en\n"
    "BN 673 Asia/Brunei ms,en\n" "BT 975 Asia/Thimphu dz,en\n"
    "BV 47 UTC+01:00 no,en\n" "BW 267 Africa/Gaborone en\n"
    "CF 236 Africa/Bangui fr,sg\n" "CA 1 America/Toronto en,fr\n"
    "CC 61 Indian/Cocos en\n" "CH 41 Europe/Zurich de,fr,it,en\n"
    "CL 56 America/Santiago es\n" "CN 86 Asia/Shanghai zh,en\n"
    "CI 225 Africa/Abidjan fr\n" "CM 237 Africa/Douala fr,en\n"
    "CD 243 Africa/Kinshasa fr\n" "CG 242 Africa/Brazzaville fr\n"
    "CK 682 Pacific/Rarotonga en\n" "CO 57 America/Bogota es\n"
    "KM 269 Indian/Comoro fr,ar\n" "CV 238 Atlantic/Cape_Verde pt,fr\n"
    "CR 506 America/Costa_Rica es\n" "CU 53 America/Havana es\n"
    "CW 599 America/Curacao nl,en,es\n" "CX 61 Indian/Christmas en\n"
    "KY 1345 America/Cayman en\n" "CY 357 Asia/Nicosia el,en\n"
    "CZ 420 Europe/Prague cs,en\n" "DE 49 Europe/Berlin de,en\n"
    "DJ 253 Africa/Djibouti fr,ar\n" "DM 1767 America/Dominica en\n"
    "DK 45 Europe/Copenhagen da,en\n" "DO 1809 America/Santo_Domingo es\n"
    "DZ 213 Africa/Algiers ar,fr\n" "EC 593 America/Guayaquil es\n"
    "EG 20 Africa/Cairo ar,en\n" "ER 291 Africa/Asmara ti,ar,en\n"
    "EH 212 Africa/El_Aaiun ar,es\n" "ES 34 Europe/Madrid es,en\n"
    "EE 372 Europe/Tallinn et,en\n" "ET 251 Africa/Addis_Ababa am,en\n"
    "FI 358 Europe/Helsinki fi,sv,en\n" "FJ 679 Pacific/Fiji en\n"
    "FK 500 Atlantic/Stanley en\n" "FR 33 Europe/Paris fr,en\n"
    "FO 298 Atlantic/Faroe fo,da\n" "FM 691 Pacific/Pohnpei en\n"
    "GA 241 Africa/Libreville fr\n" "GB 44 Europe/London en\n"
    "GE 995 Asia/Tbilisi ka,en\n" "GG 44 Europe/Guernsey en\n"
    "GH 233 Africa/Accra en\n" "GI 350 Europe/Gibraltar en,es\n"
    "GN 224 Africa/Conakry fr\n" "GP 590 America/Guadeloupe fr\n"
    "GM 220 Africa/Banjul en\n" "GW 245 Africa/Bissau pt,fr\n"
    "GQ 240 Africa/Malabo es,fr\n" "GR 30 Europe/Athens el,en\n"
    "GD 1473 America/Grenada en\n" "GL 299 America/Nuuk kl,da\n"
    "GT 502 America/Guatemala es\n" "GF 594 America/Cayenne fr\n"
    "GU 1671 Pacific/Guam en\n" "GY 592 America/Guyana en\n"
    "HK 852 Asia/Hong_Kong zh,en\n" "HM 672 UTC+05:00 en\n"
    "HN 504 America/Tegucigalpa es\n" "HR 385 Europe/Zagreb hr,en\n"
    "HT 509 America/Port-au-Prince fr,ht\n" "HU 36 Europe/Budapest hu,en\n"
    "ID 62 Asia/Jakarta id,en\n" "IM 44 Europe/Isle_of_Man en\n"
    "IN 91 Asia/Kolkata hi,en\n" "IO 246 Indian/Chagos en\n"
    "IE 353 Europe/Dublin en,ga\n" "IR 98 Asia/Tehran fa,en\n"
    "IQ 964 Asia/Baghdad ar,ku,en\n" "IS 354 Atlantic/Reykjavik is,en\n"
    "IL 972 Asia/Jerusalem he,ar,en\n" "IT 39 Europe/Rome it,en\n"
    "JM 1876 America/Jamaica en\n" "JE 44 Europe/Jersey en,fr\n"
    "JO 962 Asia/Amman ar,en\n" "JP 81 Asia/Tokyo ja,en\n"
    "KZ 7 Asia/Almaty kk,ru\n" "KE 254 Africa/Nairobi en,sw\n"
    "KG 996 Asia/Bishkek ky,ru\n" "KH 855 Asia/Phnom_Penh km,en,fr\n"
    "KI 686 Pacific/Tarawa en\n" "KN 1869 America/St_Kitts en\n"
    "KR 82 Asia/Seoul ko,en\n" "KW 965 Asia/Kuwait ar,en\n"
    "LA 856 Asia/Vientiane lo,fr,en\n" "LB 961 Asia/Beirut ar,fr,en\n"
    "LR 231 Africa/Monrovia en\n" "LY 218 Africa/Tripoli ar,en\n"
    "LC 1758 America/St_Lucia en\n" "LI 423 Europe/Vaduz de\n"
    "LK 94 Asia/Colombo si,ta,en\n" "LS 266 Africa/Maseru en,st\n"
    "LT 370 Europe/Vilnius lt,en\n" "LU 352 Europe/Luxembourg fr,de,lb,en\n"
    "LV 371 Europe/Riga lv,en\n" "MO 853 Asia/Macau zh,pt\n"
    "MF 590 America/Marigot fr\n" "MA 212 Africa/Casablanca ar,fr\n"
    "MC 377 Europe/Monaco fr\n" "MD 373 Europe/Chisinau ro,ru\n"
    "MG 261 Indian/Antananarivo mg,fr\n" "MV 960 Indian/Maldives dv,en\n"
    "MX 52 America/Mexico_City es,en\n" "MH 692 Pacific/Majuro en,mh\n"
    "MK 389 Europe/Skopje mk,sq,en\n" "ML 223 Africa/Bamako fr\n"
    "MT 356 Europe/Malta mt,en\n" "MM 95 Asia/Yangon my,en\n"
    "ME 382 Europe/Podgorica cnr,en\n" "MN 976 Asia/Ulaanbaatar mn,en\n"
    "MP 1670 Pacific/Saipan en\n" "MZ 258 Africa/Maputo pt,en\n"
    "MR 222 Africa/Nouakchott ar,fr\n" "MS 1664 America/Montserrat en\n"
    "MQ 596 America/Martinique fr\n" "MU 230 Indian/Mauritius en,fr\n"
    "MW 265 Africa/Blantyre en\n" "MY 60 Asia/Kuala_Lumpur ms,en\n"
    "YT 262 Indian/Mayotte fr\n" "NA 264 Africa/Windhoek en\n"
    "NC 687 Pacific/Noumea fr\n" "NE 227 Africa/Niamey fr\n"
    "NF 672 Pacific/Norfolk en\n" "NG 234 Africa/Lagos en\n"
    "NI 505 America/Managua es\n" "NU 683 Pacific/Niue en\n"
    "NL 31 Europe/Amsterdam nl,en\n" "NO 47 Europe/Oslo no,en\n"
    "NP 977 Asia/Kathmandu ne,en\n" "NR 674 Pacific/Nauru en\n"
    "NZ 64 Pacific/Auckland en,mi\n" "OM 968 Asia/Muscat ar,en\n"
    "PK 92 Asia/Karachi ur,en\n" "PA 507 America/Panama es\n"
    "PN 64 Pacific/Pitcairn en\n" "PE 51 America/Lima es\n"
    "PH 63 Asia/Manila en,fil\n" "PW 680 Pacific/Palau en\n"
    "PG 675 Pacific/Port_Moresby en\n" "PL 48 Europe/Warsaw pl,en\n"
    "PR 1787 America/Puerto_Rico es,en\n" "KP 850 Asia/Pyongyang ko\n"
    "PT 351 Europe/Lisbon pt,en\n" "PY 595 America/Asuncion es,gn\n"
    "PS 970 Asia/Hebron ar,en\n" "PF 689 Pacific/Tahiti fr\n"
    "QA 974 Asia/Qatar ar,en\n" "RE 262 Indian/Reunion fr\n"
    "RO 40 Europe/Bucharest ro,en\n" "RU 7 Europe/Moscow ru,en\n"
    "RW 250 Africa/Kigali rw,en,fr\n" "SA 966 Asia/Riyadh ar,en\n"
    "SD 249 Africa/Khartoum ar,en\n" "SN 221 Africa/Dakar fr\n"
    "SG 65 Asia/Singapore en,zh,ms,ta\n" "GS 500 Atlantic/South_Georgia en\n"
    "SH 290 Atlantic/St_Helena en\n" "SJ 47 Arctic/Longyearbyen no\n"
    "SB 677 Pacific/Guadalcanal en\n" "SL 232 Africa/Freetown en\n"
    "SV 503 America/El_Salvador es\n" "SM 378 Europe/San_Marino it\n"
    "SO 252 Africa/Mogadishu so,ar,en\n" "PM 508 America/Miquelon fr\n"
    "RS 381 Europe/Belgrade sr,en\n" "SS 211 Africa/Juba en,ar\n"
    "ST 239 Africa/Sao_Tome pt,fr\n" "SR 597 America/Paramaribo nl,en\n"
    "SK 421 Europe/Bratislava sk,en\n" "SI 386 Europe/Ljubljana sl,en\n"
    "SE 46 Europe/Stockholm sv,en\n" "SZ 268 Africa/Mbabane en,ss\n"
    "SX 1721 America/Lower_Princes en,nl\n" "SC 248 Indian/Mahe en,fr\n"
    "SY 963 Asia/Damascus ar,fr\n" "TC 1649 America/Grand_Turk en\n"
    "TD 235 Africa/Ndjamena fr,ar\n" "TG 228 Africa/Lome fr\n"
    "TH 66 Asia/Bangkok th,en\n" "TJ 992 Asia/Dushanbe tg,ru\n"
    "TK 690 Pacific/Fakaofo en\n" "TM 993 Asia/Ashgabat tk,ru\n"
    "TL 670 Asia/Dili pt,tet,en\n" "TO 676 Pacific/Tongatapu to,en\n"
    "TT 1868 America/Port_of_Spain en\n" "TN 216 Africa/Tunis ar,fr\n"
    "TR 90 Europe/Istanbul tr,en\n" "TV 688 Pacific/Funafuti en\n"
    "TW 886 Asia/Taipei zh,en\n" "TZ 255 Africa/Dar_es_Salaam sw,en\n"
    "UG 256 Africa/Kampala en,sw\n" "UA 380 Europe/Kyiv uk,en\n"
    "UM 1 Pacific/Wake en\n" "UY 598 America/Montevideo es\n"
    "US 1 America/New_York en\n" "UZ 998 Asia/Tashkent uz,ru\n"
    "VA 39 Europe/Vatican it,la,fr\n" "VC 1784 America/St_Vincent en\n"
    "VE 58 America/Caracas es\n" "VG 1284 America/Tortola en\n"
    "VI 1340 America/St_Thomas en\n" "VN 84 Asia/Ho_Chi_Minh vi,en,fr\n"
    "VU 678 Pacific/Efate bi,en,fr\n" "WF 681 Pacific/Wallis fr\n"
    "WS 685 Pacific/Apia sm,en\n" "YE 967 Asia/Aden ar\n"
    "ZA 27 Africa/Johannesburg en,af,zu\n" "ZM 260 Africa/Lusaka en\n"
    "ZW 263 Africa/Harare en\n" "EU 32 Europe/Brussels en,fr,de\n";

#define S_MAX_LANGS 4

typedef struct {
    char code[3];                 /* "MU" */
    char name[96];                /* English short name */
    char tld[3];                  /* "mu" */
    char cc[8];                   /* calling code digits: "230" */
    char tz[48];                  /* "Indian/Mauritius" or "UTC+04:00" */
    char langs[S_MAX_LANGS][4];   /* working languages */
    size_t nlangs;
    const char *lang2;            /* "fr", "es" or NULL: second language of texts */
} s_state_t;

static void
s_state_facts(s_state_t *st)
{
    char line[128];
    const char *p = s_state_table;
    strcpy(st->cc, "999");        /* ITU "reserved": for a State the table lacks */
    strcpy(st->tz, "UTC+00:00");
    strcpy(st->langs[0], "en");
    st->nlangs = 1;
    while (*p) {
        size_t n = strcspn(p, "\n");
        if (n < sizeof line && strncmp(p, st->code, 2) == 0 && p[2] == ' ') {
            char langs[32];
            memcpy(line, p, n);
            line[n] = '\0';
            if (sscanf(line, "%*2s %7s %47s %31s", st->cc, st->tz, langs) == 3) {
                st->nlangs = 0;
                for (char *tok = strtok(langs, ","); tok && st->nlangs < S_MAX_LANGS;
                     tok = strtok(NULL, ","))
                    snprintf(st->langs[st->nlangs++], sizeof st->langs[0], "%s", tok);
            }
            break;
        }
        p += n + (p[n] == '\n');
    }
    st->lang2 = NULL;
    for (size_t i = 0; i < st->nlangs && !st->lang2; i++)
        if (strcmp(st->langs[i], "fr") == 0 || strcmp(st->langs[i], "es") == 0)
            st->lang2 = strcmp(st->langs[i], "fr") == 0 ? "fr" : "es";
    st->tld[0] = (char)(st->code[0] - 'A' + 'a');
    st->tld[1] = (char)(st->code[1] - 'A' + 'a');
    st->tld[2] = '\0';
}

static bool
s_state_speaks(const s_state_t *st, const char *lang)
{
    for (size_t i = 0; i < st->nlangs; i++)
        if (strcmp(st->langs[i], lang) == 0)
            return true;
    return false;
}

/* Every entry with alpha_2 of the iso-codes file, plus EU. */
static int
s_load_states(vl_cli_t *cli, const char *path, s_state_t **out, size_t *n)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    *out = NULL;
    *n = 0;
    if (!root)
        return vl_cli_failx(cli,
                            "cannot read the ISO 3166-1 list: %s (install Debian's iso-codes "
                            "package, or give --iso-codes FILE)", je.text);
    json_t *list = json_object_get(root, "3166-1");
    size_t cnt = json_array_size(list);
    if (cnt == 0 || cnt > S_MAX_STATES_LIST) {
        json_decref(root);
        return vl_cli_failx(cli, "%s: expected a \"3166-1\" array of 1 to %d countries", path,
                            S_MAX_STATES_LIST);
    }
    s_state_t *st = calloc(cnt + 1, sizeof *st);
    if (!st) {
        json_decref(root);
        return vl_cli_fail(cli, VL_ENOMEM, NULL);
    }
    size_t k = 0;
    for (size_t i = 0; i < cnt; i++) {
        json_t *e = json_array_get(list, i);
        const char *a2 = json_string_value(json_object_get(e, "alpha_2"));
        const char *name = json_string_value(json_object_get(e, "common_name"));
        if (!name)
            name = json_string_value(json_object_get(e, "name"));
        if (!a2 || !name || !vl_state_valid(a2, strlen(a2)))
            continue;
        memcpy(st[k].code, a2, 3);
        snprintf(st[k].name, sizeof st[k].name, "%s", name);
        k++;
    }
    memcpy(st[k].code, "EU", 3);
    snprintf(st[k].name, sizeof st[k].name, "European Union");
    k++;
    for (size_t i = 0; i < k; i++)
        s_state_facts(&st[i]);
    json_decref(root);
    *out = st;
    *n = k;
    return 0;
}

static const s_state_t *
s_find_state(const s_state_t *st, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(st[i].code, code) == 0)
            return &st[i];
    return NULL;
}

/* ======================================================================== */
/* Small builders                                                           */
/* ======================================================================== */

/* {"en": en, lang2: other} (other ignored when lang2 is NULL). */
static json_t *
s_text(const char *en, const char *lang2, const char *other)
{
    json_t *t = json_object();
    json_object_set_new(t, "en", json_string(en));
    if (lang2 && other)
        json_object_set_new(t, lang2, json_string(other));
    return t;
}

static json_t *
s_strings(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

/* tmpl with its one "%s" replaced by arg (templates are data, not formats). */
static void
s_fill(char *buf, size_t cap, const char *tmpl, const char *arg)
{
    const char *mark = strstr(tmpl, "%s");
    size_t pre = mark ? (size_t)(mark - tmpl) : strlen(tmpl);
    snprintf(buf, cap, "%.*s%s%s", (int)pre, tmpl, mark ? arg : "", mark ? mark + 2 : "");
}

/* "+230 5550 1234": the 555x block keeps numbers obviously fictional. */
static json_t *
s_phone(s_rng_t *r, const s_state_t *st, unsigned block)
{
    char buf[40];
    snprintf(buf, sizeof buf, "+%s 555%u %04u", st->cc, block % 10, s_below(r, 10000));
    return json_string(buf);
}

static const char *const s_first[] = {
    "Alex", "Amina", "Ana", "Andry", "Carlos", "Claire", "Daniel", "Elena", "Fatima",
    "Hana", "Ines", "Ivan", "Jean", "Jonas", "Kofi", "Leila", "Li", "Lucia", "Malik",
    "Marie", "Mateo", "Nadia", "Nikos", "Noor", "Omar", "Priya", "Ravi", "Robin",
    "Sam", "Sofia", "Tomas", "Wei", "Yuki", "Zara",
};
static const char *const s_last[] = {
    "Andria", "Bianchi", "Costa", "Diallo", "Dubois", "Garcia", "Haddad", "Ibrahim",
    "Kone", "Laurent", "Lopez", "Mansour", "Martin", "Mensah", "Moreau", "Nguyen",
    "Novak", "Okafor", "Patel", "Petrov", "Rakoto", "Ramos", "Rossi", "Schmidt",
    "Sharma", "Silva", "Tanaka", "Torres", "Traore", "Weber",
};

/* ======================================================================== */
/* Authorities                                                              */
/* ======================================================================== */

typedef struct {
    const char *functions[3];
    const char *bases[5];
    const char *name_en, *name_fr, *name_es;   /* %s: the State's name */
    const char *titles[3];
    const char *mailbox;                       /* local part of the office e-mail */
    const char *channels[4];
    const char *host;                          /* website host label */
} s_role_t;

static const s_role_t s_roles[] = {
    { { "extradition", "mla" },
      { "UNTOC-16", "UNTOC-18", "DRUG1988-6", "DRUG1988-7" },
      "Central Authority for Extradition and Mutual Legal Assistance, Ministry of Justice, %s",
      "Autorit\xc3\xa9 centrale pour l'extradition et l'entraide judiciaire, "
      "minist\xc3\xa8re de la Justice, %s",
      "Autoridad Central de Extradici\xc3\xb3n y Asistencia Judicial, Ministerio de "
      "Justicia, %s",
      { "Head of the Central Authority", "Senior Legal Officer (MLA)",
        "Legal Officer (extradition)" },
      "central.authority", { "central_authority", "diplomatic", "email" }, "justice" },
    { { "transfer_sentenced_persons" },
      { "UNTOC-17" },
      "International Transfers Unit, Prison Administration, %s",
      "Bureau des transf\xc3\xa8rements internationaux, administration p\xc3\xa9nitentiaire, %s",
      "Unidad de Traslados Internacionales, Administraci\xc3\xb3n Penitenciaria, %s",
      { "Head of International Transfers", "Case Officer", "Legal Adviser" },
      "transfers", { "central_authority", "diplomatic" }, "prisons" },
    { { "drug_trafficking_sea", "migrant_smuggling_sea" },
      { "DRUG1988-17", "SOM-8" },
      "Maritime Operations Centre, Coast Guard, %s",
      "Centre des op\xc3\xa9rations maritimes, garde-c\xc3\xb4tes, %s",
      "Centro de Operaciones Mar\xc3\xadtimas, Guardia Costera, %s",
      { "Duty Commander", "Legal Adviser (law of the sea)", "Operations Officer" },
      "maritime.ops", { "direct", "email", "fax" }, "coastguard" },
    { { "firearms_trafficking" },
      { "FIREARMS-13" },
      "National Firearms Office, National Police, %s",
      "Office national des armes \xc3\xa0 feu, police nationale, %s",
      "Oficina Nacional de Armas de Fuego, Polic\xc3\xad" "a Nacional, %s",
      { "Head of the Firearms Office", "Tracing Analyst", "Liaison Officer" },
      "firearms", { "interpol", "direct", "email" }, "police" },
};

typedef struct {
    const char *en, *fr, *es;
} s_tr_t;

static const s_tr_t s_docs[] = {
    { "A signed request stating the authority making it, the subject of the investigation "
      "and a summary of the facts.",
      "Une demande sign\xc3\xa9" "e indiquant l'autorit\xc3\xa9 requ\xc3\xa9rante, l'objet de "
      "l'enqu\xc3\xaate et un r\xc3\xa9sum\xc3\xa9 des faits.",
      "Una solicitud firmada que indique la autoridad requirente, el objeto de la "
      "investigaci\xc3\xb3n y un resumen de los hechos." },
    { "The text of the offences charged and of the applicable penalties, with the "
      "warrant or judgment.",
      "Le texte des infractions et des peines applicables, avec le mandat ou le jugement.",
      "El texto de los delitos y de las penas aplicables, con la orden o la sentencia." },
    { "For coercive measures, a court order of the requesting State.",
      "Pour les mesures coercitives, une d\xc3\xa9" "cision judiciaire de l'Etat requ\xc3\xa9rant.",
      "Para medidas coercitivas, una orden judicial del Estado requirente." },
};

static const s_tr_t s_urgent[] = {
    { "Call the duty officer, then send an advance copy by e-mail; the original follows "
      "within 30 days.",
      "Appeler la permanence, puis envoyer une copie par courriel ; l'original suit sous "
      "30 jours.",
      "Llamar a la guardia y enviar una copia por correo; el original sigue en 30 "
      "d\xc3\xad" "as." },
    { "Provisional arrest may be requested through INTERPOL pending the formal request.",
      "L'arrestation provisoire peut \xc3\xaatre demand\xc3\xa9" "e via INTERPOL.",
      "La detenci\xc3\xb3n provisional puede pedirse por INTERPOL." },
};

static const s_tr_t s_comments[] = {
    { "Fictional sample record. Dual criminality is required for coercive measures.",
      "Fiche fictive. La double incrimination est requise pour les mesures coercitives.",
      "Registro ficticio. Se exige la doble incriminaci\xc3\xb3n para medidas coercitivas." },
    { "Fictional sample record. Nationals are not extradited but may be prosecuted at "
      "home.",
      "Fiche fictive. Les nationaux ne sont pas extrad\xc3\xa9s mais peuvent \xc3\xaatre "
      "poursuivis.",
      "Registro ficticio. No se extradita a nacionales, pero pueden ser juzgados." },
};

static const char *const s_formats[] = {
    "signed original on letterhead", "advance copy by e-mail (PDF)",
    "advance copy by fax", "certified translation",
};

static int
s_add_authority(json_t *out, s_rng_t *r, const s_state_t *st, unsigned idx, unsigned role,
                unsigned office, bool untoc_16_5, json_t *treaties)
{
    const s_role_t *ro = &s_roles[role];
    const char *l2 = st->lang2;
    char id[16], buf[512], buf2[512];
    snprintf(id, sizeof id, "%s-%02u", st->code, idx);

    json_t *a = json_object();
    json_object_set_new(a, "kind", json_string("authority"));
    json_object_set_new(a, "id", json_string(id));
    json_object_set_new(a, "state", json_string(st->code));

    const char *l2_name = l2 && strcmp(l2, "fr") == 0 ? ro->name_fr : ro->name_es;
    s_fill(buf, sizeof buf, ro->name_en, st->name);
    s_fill(buf2, sizeof buf2, l2_name, st->name);
    if (office > 0) {
        size_t n = strlen(buf), n2 = strlen(buf2);
        snprintf(buf + n, sizeof buf - n, " (office %u)", office + 1);
        snprintf(buf2 + n2, sizeof buf2 - n2, " (%u)", office + 1);
    }
    json_object_set_new(a, "name", s_text(buf, l2, buf2));

    json_t *f = json_array();
    for (size_t i = 0; i < S_N(ro->functions) && ro->functions[i]; i++)
        json_array_append_new(f, json_string(ro->functions[i]));
    json_object_set_new(a, "functions", f);
    json_t *b = json_array();
    for (size_t i = 0; i < S_N(ro->bases) && ro->bases[i]; i++)
        json_array_append_new(b, json_string(ro->bases[i]));
    json_object_set_new(a, "legal_bases", b);

    json_t *c = json_object();
    unsigned no = 1 + s_below(r, 98);
    snprintf(buf, sizeof buf, "%u Example Avenue, Government Quarter, %s", no, st->name);
    snprintf(buf2, sizeof buf2,
             l2 && strcmp(l2, "fr") == 0 ? "%u avenue de l'Exemple, quartier administratif, %s"
                                         : "Avenida Ejemplo %u, barrio administrativo, %s",
             no, st->name);
    json_object_set_new(c, "address", s_text(buf, l2, buf2));
    json_t *phones = json_array();
    json_array_append_new(phones, s_phone(r, st, 0));
    json_array_append_new(phones, s_phone(r, st, 0));
    json_object_set_new(c, "phones", phones);
    json_t *faxes = json_array();
    json_array_append_new(faxes, s_phone(r, st, 9));
    json_object_set_new(c, "faxes", faxes);
    snprintf(buf, sizeof buf, "%s@example.%s", ro->mailbox, st->tld);
    json_t *emails = json_array();
    json_array_append_new(emails, json_string(buf));
    json_object_set_new(c, "emails", emails);
    snprintf(buf, sizeof buf, "https://%s.example.%s", ro->host, st->tld);
    json_object_set_new(c, "website", json_string(buf));
    json_object_set_new(a, "contact", c);

    json_t *langs = json_array();
    for (size_t i = 0; i < st->nlangs; i++)
        json_array_append_new(langs, json_string(st->langs[i]));
    json_object_set_new(a, "languages", langs);
    bool interpol = role == 3 || s_below(r, 3) != 0;
    json_object_set_new(a, "interpol", json_boolean(interpol));
    json_object_set_new(a, "untoc_16_5", json_boolean(untoc_16_5));

    json_t *persons = json_array();
    unsigned np = 1 + s_below(r, 2);
    for (unsigned i = 0; i < np; i++) {
        const char *first = S_PICK(r, s_first), *last = S_PICK(r, s_last);
        json_t *p = json_object();
        snprintf(buf, sizeof buf, "%s %s", first, last);
        json_object_set_new(p, "name", json_string(buf));
        json_object_set_new(p, "title", json_string(ro->titles[i % S_N(ro->titles)]));
        json_t *pp = json_array();
        json_array_append_new(pp, s_phone(r, st, 1));
        json_object_set_new(p, "phones", pp);
        snprintf(buf, sizeof buf, "%c.%s@example.%s", first[0] - 'A' + 'a', last, st->tld);
        for (char *q = buf; *q && *q != '@'; q++)
            if (*q >= 'A' && *q <= 'Z')
                *q = (char)(*q - 'A' + 'a');
        json_t *pe = json_array();
        json_array_append_new(pe, json_string(buf));
        json_object_set_new(p, "emails", pe);
        json_t *pl = json_array();
        json_array_append_new(pl, json_string(st->langs[0]));
        if (strcmp(st->langs[0], "en") != 0 && s_below(r, 2))
            json_array_append_new(pl, json_string("en"));
        json_object_set_new(p, "languages", pl);
        json_array_append_new(persons, p);
    }
    json_object_set_new(a, "persons", persons);

    bool arab_week = strcmp(st->langs[0], "ar") == 0;
    unsigned start = 7 + s_below(r, 3);
    snprintf(buf, sizeof buf, "%s %02u:%s-%02u:%s", arab_week ? "Sunday-Thursday" : "Monday-Friday",
             start, s_below(r, 2) ? "00" : "30", start + 8, s_below(r, 2) ? "00" : "30");
    json_object_set_new(a, "office_hours", json_string(buf));
    json_object_set_new(a, "time_zone", json_string(st->tz));

    const s_tr_t *d1 = &s_docs[s_below(r, S_N(s_docs))];
    const s_tr_t *u = &s_urgent[role == 0 ? s_below(r, S_N(s_urgent)) : 0];
    const s_tr_t *cm = &s_comments[s_below(r, S_N(s_comments))];
    bool fr = l2 && strcmp(l2, "fr") == 0;
    json_object_set_new(a, "required_documents", s_text(d1->en, l2, fr ? d1->fr : d1->es));

    json_t *fm = json_array();
    unsigned f0 = s_below(r, 2);
    json_array_append_new(fm, json_string(s_formats[0]));
    json_array_append_new(fm, json_string(s_formats[1 + f0]));
    if (strcmp(st->langs[0], "en") != 0)
        json_array_append_new(fm, json_string(s_formats[3]));
    json_object_set_new(a, "formats", fm);

    json_t *ch = json_array();
    for (size_t i = 0; i < S_N(ro->channels) && ro->channels[i]; i++)
        json_array_append_new(ch, json_string(ro->channels[i]));
    if (interpol && role != 3)
        json_array_append_new(ch, json_string("interpol"));
    json_object_set_new(a, "channels", ch);
    json_object_set_new(a, "urgent_procedures", s_text(u->en, l2, fr ? u->fr : u->es));
    json_object_set_new(a, "comments", s_text(cm->en, l2, fr ? cm->fr : cm->es));
    json_object_set_new(a, "treaties", json_deep_copy(treaties));

    return json_array_append_new(out, a);
}

/* ======================================================================== */
/* Agreements                                                               */
/* ======================================================================== */

typedef struct {
    const char *id;                /* "IOC" */
    const char *members[10];
    const char *lang2;             /* "fr" / "es" */
    const char *name_en, *name_l2; /* platform names for titles */
    unsigned nbilateral;           /* bilateral agreements to draw */
} s_platform_t;

static const s_platform_t s_platforms[] = {
    { "IOC", { "MU", "MG", "KM", "SC", "FR" }, "fr",
      "Indian Ocean Commission judicial platform",
      "plateforme judiciaire de la Commission de l'oc\xc3\xa9" "an Indien", 4 },
    { "SAHEL", { "BF", "ML", "MR", "NE", "TD" }, "fr",
      "judicial platform of the Sahel countries",
      "plateforme judiciaire des pays du Sahel", 3 },
    { "REFCO", { "CR", "SV", "GT", "HN", "NI", "PA", "DO", "MX", "BZ", "CO" }, "es",
      "Central American network of organized crime prosecutors (REFCO)",
      "Red de Fiscales contra el Crimen Organizado de Centroam\xc3\xa9rica (REFCO)", 5 },
};

static const s_tr_t s_req[] = {
    { "Requests and supporting documents must be translated into %s.",
      "Les demandes et pi\xc3\xa8" "ces jointes doivent \xc3\xaatre traduites en %s.",
      "Las solicitudes y sus anexos deben traducirse al %s." },
    { "Advance copies by e-mail are accepted; the original follows through the central "
      "authority within 30 days.",
      "Les copies par courriel sont accept\xc3\xa9" "es ; l'original suit par l'autorit\xc3\xa9 "
      "centrale sous 30 jours.",
      "Se aceptan copias por correo; el original sigue por la autoridad central en 30 "
      "d\xc3\xad" "as." },
    { "Hearings by videoconference need four weeks' notice.",
      "Les auditions par visioconf\xc3\xa9rence exigent un pr\xc3\xa9" "avis de quatre semaines.",
      "Las audiencias por videoconferencia requieren cuatro semanas de aviso." },
    { "Nationals are not extradited; the case is referred for domestic prosecution.",
      "Les nationaux ne sont pas extrad\xc3\xa9s ; l'affaire est soumise aux juridictions "
      "nationales.",
      "No se extradita a nacionales; el caso se somete a la justicia nacional." },
};

/* The language a party wants requests in, in English, French and Spanish. */
static void
s_request_lang(const s_state_t *st, const char **en, const char **fr, const char **es)
{
    if (s_state_speaks(st, "fr") && strcmp(st->langs[0], "en") != 0) {
        *en = "French"; *fr = "fran\xc3\xa7" "ais"; *es = "franc\xc3\xa9s";
    } else if (s_state_speaks(st, "es") && strcmp(st->langs[0], "en") != 0) {
        *en = "Spanish"; *fr = "espagnol"; *es = "espa\xc3\xb1ol";
    } else if (s_state_speaks(st, "pt")) {
        *en = "Portuguese"; *fr = "portugais"; *es = "portugu\xc3\xa9s";
    } else {
        *en = "English"; *fr = "anglais"; *es = "ingl\xc3\xa9s";
    }
}

static json_t *
s_requirement(s_rng_t *r, const s_state_t *st, const char *lang2)
{
    const char *len_, *lfr, *les;
    s_request_lang(st, &len_, &lfr, &les);
    unsigned k = 1 + s_below(r, (unsigned)S_N(s_req) - 1);
    char en[512], l2[512], t[256];
    s_fill(en, sizeof en, s_req[0].en, len_);
    snprintf(t, sizeof t, " %s", s_req[k].en);
    strncat(en, t, sizeof en - strlen(en) - 1);
    bool fr = strcmp(lang2, "fr") == 0;
    s_fill(l2, sizeof l2, fr ? s_req[0].fr : s_req[0].es, fr ? lfr : les);
    snprintf(t, sizeof t, " %s", fr ? s_req[k].fr : s_req[k].es);
    strncat(l2, t, sizeof l2 - strlen(l2) - 1);
    json_t *q = json_object();
    json_object_set_new(q, "party", json_string(st->code));
    json_object_set_new(q, "text", s_text(en, lang2, l2));
    return q;
}

static json_t *
s_dates(s_rng_t *r, unsigned y0, const char *status)
{
    char d[16];
    json_t *o = json_object();
    unsigned y = y0 + s_below(r, 12);
    snprintf(d, sizeof d, "%04u-%02u-%02u", y, 1 + s_below(r, 12), 1 + s_below(r, 28));
    json_object_set_new(o, "signed", json_string(d));
    if (strcmp(status, "signed") != 0 && strcmp(status, "negotiated") != 0) {
        snprintf(d, sizeof d, "%04u-%02u-%02u", y + 1 + s_below(r, 2), 1 + s_below(r, 12),
                 1 + s_below(r, 28));
        json_object_set_new(o, "in_force", json_string(d));
    }
    if (strcmp(status, "terminated") == 0) {
        snprintf(d, sizeof d, "%04u-%02u-%02u", y + 6 + s_below(r, 4), 1 + s_below(r, 12),
                 1 + s_below(r, 28));
        json_object_set_new(o, "terminated", json_string(d));
    }
    return o;
}

static int
s_platform_agreements(vl_cli_t *cli, json_t *out, uint64_t seed, const s_platform_t *pl,
                      const s_state_t *st, size_t nst)
{
    s_rng_t r = s_rng_for(seed, pl->id);
    const s_state_t *m[10];
    size_t nm = 0;
    for (size_t i = 0; i < S_N(pl->members) && pl->members[i]; i++) {
        m[nm] = s_find_state(st, nst, pl->members[i]);
        if (!m[nm])
            return vl_cli_failx(cli, "%s member %s is not in the ISO 3166-1 list", pl->id,
                                pl->members[i]);
        nm++;
    }
    bool fr = strcmp(pl->lang2, "fr") == 0;
    char id[64], en[512], l2[512];

    /* The regional agreement. */
    json_t *a = json_object();
    snprintf(id, sizeof id, "%s-REG-MLA", pl->id);
    json_object_set_new(a, "kind", json_string("agreement"));
    json_object_set_new(a, "id", json_string(id));
    snprintf(en, sizeof en,
             "Regional arrangement on mutual legal assistance and extradition of the %s "
             "(sample)", pl->name_en);
    snprintf(l2, sizeof l2,
             fr ? "Arrangement r\xc3\xa9gional d'entraide judiciaire et d'extradition de la %s "
                  "(exemple)"
                : "Acuerdo regional de asistencia judicial y extradici\xc3\xb3n de la %s (ejemplo)",
             pl->name_l2);
    json_object_set_new(a, "title", s_text(en, pl->lang2, l2));
    json_object_set_new(a, "type", json_string("regional"));
    const char *subj[] = { "mla", "extradition", "organized_crime" };
    json_object_set_new(a, "subjects", s_strings(subj, 3));
    json_t *parties = json_array(), *reqs = json_array();
    for (size_t i = 0; i < nm; i++) {
        json_array_append_new(parties, json_string(m[i]->code));
        json_array_append_new(reqs, s_requirement(&r, m[i], pl->lang2));
    }
    json_object_set_new(a, "parties", parties);
    json_object_set_new(a, "status", json_string("in_force"));
    json_object_set_new(a, "dates", s_dates(&r, 2008, "in_force"));
    json_object_set_new(a, "platform", json_string(pl->id));
    json_object_set_new(a, "requirements", reqs);
    json_object_set_new(a, "notes",
                        s_text("Fictional compendium entry. Requests go from central authority "
                               "to central authority; the platform's contact points help "
                               "with urgent cases.",
                               pl->lang2,
                               fr ? "Entr\xc3\xa9" "e fictive du recueil. Les demandes passent "
                                    "d'autorit\xc3\xa9 centrale \xc3\xa0 autorit\xc3\xa9 "
                                    "centrale."
                                  : "Entrada ficticia del compendio. Las solicitudes van de "
                                    "autoridad central a autoridad central."));
    json_array_append_new(out, a);

    /* Bilateral agreements: MU-MG always for the IOC (the demo uses it). */
    bool used[10][10] = { { false } };
    for (unsigned k = 0; k < pl->nbilateral; k++) {
        unsigned i, j;
        if (k == 0 && strcmp(pl->id, "IOC") == 0) {
            i = 0;
            j = 1;
        } else {
            do {
                i = s_below(&r, (unsigned)nm);
                j = s_below(&r, (unsigned)nm);
                if (i > j) {
                    unsigned t = i;
                    i = j;
                    j = t;
                }
            } while (i == j || used[i][j]);
        }
        used[i][j] = true;
        a = json_object();
        snprintf(id, sizeof id, "%s-BIL-%s-%s", pl->id, m[i]->code, m[j]->code);
        json_object_set_new(a, "kind", json_string("agreement"));
        json_object_set_new(a, "id", json_string(id));
        bool extra = s_below(&r, 2);
        snprintf(en, sizeof en,
                 "Treaty between %s and %s on mutual legal assistance in criminal matters%s "
                 "(sample)", m[i]->name, m[j]->name, extra ? " and extradition" : "");
        snprintf(l2, sizeof l2,
                 fr ? "Trait\xc3\xa9 d'entraide judiciaire en mati\xc3\xa8re p\xc3\xa9nale%s "
                      "entre %s et %s (exemple)"
                    : "Tratado de asistencia judicial en materia penal%s entre %s y %s "
                      "(ejemplo)",
                 extra ? (fr ? " et d'extradition" : " y extradici\xc3\xb3n") : "",
                 m[i]->name, m[j]->name);
        json_object_set_new(a, "title", s_text(en, pl->lang2, l2));
        json_object_set_new(a, "type", json_string("bilateral"));
        json_t *sj = json_array();
        json_array_append_new(sj, json_string("mla"));
        if (extra)
            json_array_append_new(sj, json_string("extradition"));
        if (s_below(&r, 3) == 0)
            json_array_append_new(sj, json_string("confiscation"));
        json_object_set_new(a, "subjects", sj);
        parties = json_array();
        json_array_append_new(parties, json_string(m[i]->code));
        json_array_append_new(parties, json_string(m[j]->code));
        json_object_set_new(a, "parties", parties);
        static const char *const statuses[] = { "in_force", "in_force", "in_force", "signed",
                                                "terminated" };
        const char *status = k == 0 ? "in_force" : S_PICK(&r, statuses);
        json_object_set_new(a, "status", json_string(status));
        json_object_set_new(a, "dates", s_dates(&r, 1995, status));
        json_object_set_new(a, "platform", json_string(pl->id));
        reqs = json_array();
        json_array_append_new(reqs, s_requirement(&r, m[i], pl->lang2));
        json_array_append_new(reqs, s_requirement(&r, m[j], pl->lang2));
        json_object_set_new(a, "requirements", reqs);
        json_object_set_new(a, "notes",
                            s_text("Fictional compendium entry.", pl->lang2,
                                   fr ? "Entr\xc3\xa9" "e fictive du recueil."
                                      : "Entrada ficticia del compendio."));
        json_array_append_new(out, a);
    }
    return 0;
}

typedef struct {
    const char *id;
    const char *title;
    const char *subjects[4];
    const char *signed_on, *in_force;
} s_multi_t;

static const s_multi_t s_multis[] = {
    { "UN-UNTOC", "United Nations Convention against Transnational Organized Crime",
      { "organized_crime", "extradition", "mla", "confiscation" }, "2000-12-12", "2003-09-29" },
    { "UN-DRUG1988",
      "United Nations Convention against Illicit Traffic in Narcotic Drugs and Psychotropic "
      "Substances, 1988",
      { "drug_trafficking", "extradition", "mla", "confiscation" }, "1988-12-20", "1990-11-11" },
    { "UN-UNTOC-TIP", "Protocol to Prevent, Suppress and Punish Trafficking in Persons",
      { "organized_crime" }, "2000-12-12", "2003-12-25" },
    { "UN-UNTOC-SOM", "Protocol against the Smuggling of Migrants by Land, Sea and Air",
      { "organized_crime" }, "2000-12-12", "2004-01-28" },
    { "UN-UNTOC-FIREARMS",
      "Protocol against the Illicit Manufacturing of and Trafficking in Firearms",
      { "organized_crime" }, "2001-05-31", "2005-07-03" },
};

/* Each State is a party to at least one multilateral agreement: a shuffled
 * partition, topped up at random, each list at most VL_MAX_STATES long. */
static int
s_multilateral_agreements(vl_cli_t *cli, json_t *out, uint64_t seed, const s_state_t *st,
                          size_t nst)
{
    s_rng_t r = s_rng_for(seed, "multilateral");
    size_t nm = S_N(s_multis);
    size_t share = (nst + nm - 1) / nm;
    if (share > VL_MAX_STATES - 4)
        return vl_cli_failx(cli, "%zu States do not fit %zu multilateral agreements of at "
                            "most %u parties", nst, nm, VL_MAX_STATES);
    size_t *order = malloc(nst * sizeof *order);
    bool *in = malloc(nst * sizeof *in);
    if (!order || !in) {
        free(order);
        free(in);
        return vl_cli_fail(cli, VL_ENOMEM, NULL);
    }
    for (size_t i = 0; i < nst; i++)
        order[i] = i;
    for (size_t i = nst; i > 1; i--) {
        size_t k = s_below(&r, (unsigned)i);
        size_t t = order[i - 1];
        order[i - 1] = order[k];
        order[k] = t;
    }
    for (size_t t = 0; t < nm; t++) {
        const s_multi_t *mu = &s_multis[t];
        memset(in, 0, nst * sizeof *in);
        json_t *parties = json_array();
        size_t np = 0;
        for (size_t i = t * share; i < nst && i < (t + 1) * share; i++) {
            in[order[i]] = true;
            np++;
        }
        size_t want = share + 4 + s_below(&r, (unsigned)(VL_MAX_STATES - share - 3));
        if (want > nst)
            want = nst;
        while (np < want) {
            size_t k = s_below(&r, (unsigned)nst);
            if (!in[k]) {
                in[k] = true;
                np++;
            }
        }
        for (size_t i = 0; i < nst; i++)
            if (in[i])
                json_array_append_new(parties, json_string(st[i].code));
        json_t *a = json_object();
        json_object_set_new(a, "kind", json_string("agreement"));
        json_object_set_new(a, "id", json_string(mu->id));
        char en[256];
        snprintf(en, sizeof en, "%s (sample party list)", mu->title);
        json_object_set_new(a, "title", s_text(en, NULL, NULL));
        json_object_set_new(a, "type", json_string("multilateral"));
        json_t *sj = json_array();
        for (size_t i = 0; i < S_N(mu->subjects) && mu->subjects[i]; i++)
            json_array_append_new(sj, json_string(mu->subjects[i]));
        json_object_set_new(a, "subjects", sj);
        json_object_set_new(a, "parties", parties);
        json_object_set_new(a, "status", json_string("in_force"));
        json_t *d = json_object();
        json_object_set_new(d, "signed", json_string(mu->signed_on));
        json_object_set_new(d, "in_force", json_string(mu->in_force));
        json_object_set_new(a, "dates", d);
        json_t *reqs = json_array();
        for (size_t i = 0, shown = 0; i < json_array_size(parties) && shown < 3; i++) {
            if (s_below(&r, 8) != 0)
                continue;
            const char *code = json_string_value(json_array_get(parties, i));
            json_t *q = json_object();
            json_object_set_new(q, "party", json_string(code));
            json_object_set_new(q, "text",
                                s_text("Fictional declaration: requests must be sent through "
                                       "the central authority, in English or in the party's "
                                       "official language.", NULL, NULL));
            json_array_append_new(reqs, q);
            shown++;
        }
        json_object_set_new(a, "requirements", reqs);
        json_object_set_new(a, "notes",
                            s_text("Fictional party list, limited for the sample; it is not "
                                   "the real list of States parties.", NULL, NULL));
        json_array_append_new(out, a);
    }
    free(order);
    free(in);
    return 0;
}

/* The ids of the agreements that have code among their parties. */
static json_t *
s_treaties_of(const json_t *agreements, const char *code)
{
    json_t *t = json_array();
    for (size_t i = 0; i < json_array_size(agreements); i++) {
        json_t *a = json_array_get(agreements, i);
        json_t *p = json_object_get(a, "parties");
        for (size_t k = 0; k < json_array_size(p); k++)
            if (strcmp(json_string_value(json_array_get(p, k)), code) == 0) {
                if (json_array_size(t) < VL_MAX_LIST)
                    json_array_append(t, json_object_get(a, "id"));
                break;
            }
    }
    return t;
}

/* ======================================================================== */
/* The command                                                              */
/* ======================================================================== */

static const char s_usage[] =
    "usage: valise sample [--out FILE] [--seed N] [--count-scale K] [--iso-codes FILE]\n"
    "\n"
    "Write a JSON array of fictitious sample records, one per line: 2 to 4\n"
    "authorities for every State of the ISO 3166-1 list plus the European Union\n"
    "(ids like MU-01; -01 is always the central authority for extradition and MLA),\n"
    "and a compendium of regional (IOC, SAHEL, REFCO), bilateral and multilateral\n"
    "agreements (ids like IOC-BIL-MU-MG). Every record is checked against its schema\n"
    "before it is written. No store or key is needed.\n"
    "\n"
    "  --out FILE        write FILE atomically and print a summary (default: the\n"
    "                    JSON goes to standard output)\n"
    "  --seed N          generator seed (default 1): the same seed gives the same bytes\n"
    "  --count-scale K   K times as many authorities per State (1 to 20, default 1)\n"
    "  --iso-codes FILE  the ISO 3166-1 list (Debian package iso-codes), default\n"
    "                    " S_ISO_FILE "\n";

/* A growing output buffer. */
typedef struct {
    char *p;
    size_t len, cap;
    bool oom;
} s_buf_t;

static void
s_buf_add(s_buf_t *b, const char *s)
{
    size_t n = strlen(s);
    if (b->oom)
        return;
    if (n + 1 > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 1u << 20;
        while (n + 1 > cap - b->len)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

/* Validate rec, then append it as one line. */
static int
s_emit(vl_cli_t *cli, s_buf_t *out, json_t *rec, size_t *bytes)
{
    uint8_t *body = NULL;
    size_t len = 0;
    int rc = vl_record_from_json(rec, &body, &len, cli->err);
    free(body);
    if (rc != VL_OK) {
        const char *id = json_string_value(json_object_get(rec, "id"));
        return vl_cli_fail(cli, rc, "generated record %s", id ? id : "?");
    }
    *bytes += len;
    char *text = json_dumps(rec, JSON_COMPACT);
    if (!text)
        return vl_cli_fail(cli, VL_ENOMEM, NULL);
    s_buf_add(out, out->len == 0 ? "[\n" : ",\n");
    s_buf_add(out, text);
    free(text);
    return out->oom ? vl_cli_fail(cli, VL_ENOMEM, NULL) : VL_EXIT_OK;
}

int
cmd_sample(int argc, char **argv)
{
    vl_cli_t cli;
    const char *out_path = NULL, *iso = S_ISO_FILE, *seed_s = NULL, *scale_s = NULL;
    const vl_opt_t opts[] = {
        { "out", VL_OPT_ARG, &out_path },
        { "seed", VL_OPT_ARG, &seed_s },
        { "count-scale", VL_OPT_ARG, &scale_s },
        { "iso-codes", VL_OPT_ARG, &iso },
        { NULL, VL_OPT_FLAG, NULL },
    };
    vl_cli_init(&cli, "sample", s_usage);
    int ret = vl_cli_parse(&cli, argc, argv, opts, false);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);
    uint64_t seed = 1, scale = 1;
    if (seed_s && vl_cli_number(&cli, "seed", seed_s, 0, UINT64_MAX, &seed) != VL_OK)
        return VL_EXIT_USAGE;
    if (scale_s && vl_cli_number(&cli, "count-scale", scale_s, 1, S_MAX_SCALE, &scale) != VL_OK)
        return VL_EXIT_USAGE;

    ret = VL_EXIT_ERR;
    s_state_t *st = NULL;
    size_t nst = 0;
    json_t *agreements = NULL;
    s_buf_t out = { NULL, 0, 0, false };

    if (s_load_states(&cli, iso, &st, &nst) != 0)
        goto cleanup;
    agreements = json_array();
    if (!agreements) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto cleanup;
    }
    for (size_t p = 0; p < S_N(s_platforms); p++)
        if (s_platform_agreements(&cli, agreements, seed, &s_platforms[p], st, nst) != 0)
            goto cleanup;
    if (s_multilateral_agreements(&cli, agreements, seed, st, nst) != 0)
        goto cleanup;

    size_t nauth = 0, nagr = 0, auth_bytes = 0, agr_bytes = 0;
    for (size_t s = 0; s < nst; s++) {
        s_rng_t r = s_rng_for(seed, st[s].code);
        unsigned n = 2 + s_below(&r, 3);
        bool untoc_16_5 = s_below(&r, 3) == 0;
        unsigned roles[4] = { 0, 1, 2, 3 };
        for (unsigned i = 3; i > 1; i--) {      /* shuffle roles 1..3 */
            unsigned k = 1 + s_below(&r, i);
            unsigned t = roles[i];
            roles[i] = roles[k];
            roles[k] = t;
        }
        json_t *treaties = s_treaties_of(agreements, st[s].code);
        json_t *batch = json_array();
        int rc = treaties && batch ? 0 : vl_cli_fail(&cli, VL_ENOMEM, NULL);
        for (unsigned i = 0; rc == 0 && i < n * scale; i++)
            rc = s_add_authority(batch, &r, &st[s], i + 1, roles[i % n], i / n, untoc_16_5,
                                 treaties) == 0 ? 0 : vl_cli_fail(&cli, VL_ENOMEM, NULL);
        for (size_t i = 0; rc == 0 && i < json_array_size(batch); i++) {
            rc = s_emit(&cli, &out, json_array_get(batch, i), &auth_bytes);
            nauth++;
        }
        json_decref(batch);
        json_decref(treaties);
        if (rc != 0)
            goto cleanup;
    }
    for (size_t i = 0; i < json_array_size(agreements); i++) {
        if (s_emit(&cli, &out, json_array_get(agreements, i), &agr_bytes) != 0)
            goto cleanup;
        nagr++;
    }
    s_buf_add(&out, "\n]\n");
    if (out.oom) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto cleanup;
    }
    if (out_path) {
        int rc = vl_cli_write_file(out_path, out.p, out.len, false, 0600, cli.err);
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, "cannot write %s", out_path);
            goto cleanup;
        }
        printf("%s: %zu records (%zu authorities of %zu States, %zu agreements), average "
               "body %zu bytes (authorities %zu, agreements %zu)\n",
               vl_cli_esc(out_path), nauth + nagr, nauth, nst, nagr,
               (auth_bytes + agr_bytes) / (nauth + nagr), nauth ? auth_bytes / nauth : 0,
               nagr ? agr_bytes / nagr : 0);
    } else if (fwrite(out.p, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
        vl_cli_failx(&cli, "cannot write to standard output: %s", strerror(errno));
        goto cleanup;
    }
    ret = VL_EXIT_OK;

cleanup:
    free(out.p);
    json_decref(agreements);
    free(st);
    vl_cli_done(&cli);
    return ret;
}
