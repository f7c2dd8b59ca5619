// Type OIDs of PostgreSQL's built-in types (pg_type.oid), fixed across versions.
#pragma once

namespace pgkit {

using Oid = unsigned int;

namespace oid {
inline constexpr Oid unspecified = 0;  // parameter type left for the server to infer
inline constexpr Oid bool_ = 16;
inline constexpr Oid bytea = 17;
inline constexpr Oid char_ = 18;
inline constexpr Oid name = 19;
inline constexpr Oid int8 = 20;
inline constexpr Oid int2 = 21;
inline constexpr Oid int4 = 23;
inline constexpr Oid text = 25;
inline constexpr Oid oid = 26;
inline constexpr Oid json = 114;
inline constexpr Oid xml = 142;
inline constexpr Oid float4 = 700;
inline constexpr Oid float8 = 701;
inline constexpr Oid unknown = 705;
inline constexpr Oid bpchar = 1042;
inline constexpr Oid varchar = 1043;
inline constexpr Oid date = 1082;
inline constexpr Oid time = 1083;
inline constexpr Oid timestamp = 1114;
inline constexpr Oid timestamptz = 1184;
inline constexpr Oid interval = 1186;
inline constexpr Oid timetz = 1266;
inline constexpr Oid numeric = 1700;
inline constexpr Oid uuid = 2950;
inline constexpr Oid jsonb = 3802;

inline constexpr Oid json_array = 199;
inline constexpr Oid bool_array = 1000;
inline constexpr Oid bytea_array = 1001;
inline constexpr Oid char_array = 1002;
inline constexpr Oid name_array = 1003;
inline constexpr Oid int2_array = 1005;
inline constexpr Oid int4_array = 1007;
inline constexpr Oid text_array = 1009;
inline constexpr Oid bpchar_array = 1014;
inline constexpr Oid varchar_array = 1015;
inline constexpr Oid int8_array = 1016;
inline constexpr Oid float4_array = 1021;
inline constexpr Oid float8_array = 1022;
inline constexpr Oid oid_array = 1028;
inline constexpr Oid timestamp_array = 1115;
inline constexpr Oid date_array = 1182;
inline constexpr Oid time_array = 1183;
inline constexpr Oid timestamptz_array = 1185;
inline constexpr Oid interval_array = 1187;
inline constexpr Oid numeric_array = 1231;
inline constexpr Oid uuid_array = 2951;
inline constexpr Oid jsonb_array = 3807;

// OIDs below this are built in; above are user-defined (enums, domains, extension types, ...).
inline constexpr Oid first_normal_object_id = 16384;

// --- issue 11, helper "decoders": the types of network.hpp, range.hpp, money.hpp, bits.hpp,
// geometry.hpp and the reg* types (pg_type.typname; `_array` for the array type). The generated
// table replaces this block.
inline constexpr Oid regproc = 24;
inline constexpr Oid point = 600;
inline constexpr Oid lseg = 601;
inline constexpr Oid path = 602;
inline constexpr Oid box = 603;
inline constexpr Oid polygon = 604;
inline constexpr Oid line = 628;
inline constexpr Oid cidr = 650;
inline constexpr Oid circle = 718;
inline constexpr Oid macaddr8 = 774;
inline constexpr Oid money = 790;
inline constexpr Oid macaddr = 829;
inline constexpr Oid inet = 869;
inline constexpr Oid bit = 1560;
inline constexpr Oid varbit = 1562;
inline constexpr Oid regprocedure = 2202;
inline constexpr Oid regoper = 2203;
inline constexpr Oid regoperator = 2204;
inline constexpr Oid regclass = 2205;
inline constexpr Oid regtype = 2206;
inline constexpr Oid regconfig = 3734;
inline constexpr Oid regdictionary = 3769;
inline constexpr Oid int4range = 3904;
inline constexpr Oid numrange = 3906;
inline constexpr Oid tsrange = 3908;
inline constexpr Oid tstzrange = 3910;
inline constexpr Oid daterange = 3912;
inline constexpr Oid int8range = 3926;
inline constexpr Oid regnamespace = 4089;
inline constexpr Oid regrole = 4096;
inline constexpr Oid regcollation = 4191;
inline constexpr Oid int4multirange = 4451;
inline constexpr Oid nummultirange = 4532;
inline constexpr Oid tsmultirange = 4533;
inline constexpr Oid tstzmultirange = 4534;
inline constexpr Oid datemultirange = 4535;
inline constexpr Oid int8multirange = 4536;

inline constexpr Oid regproc_array = 1008;
inline constexpr Oid point_array = 1017;
inline constexpr Oid lseg_array = 1018;
inline constexpr Oid path_array = 1019;
inline constexpr Oid box_array = 1020;
inline constexpr Oid polygon_array = 1027;
inline constexpr Oid line_array = 629;
inline constexpr Oid cidr_array = 651;
inline constexpr Oid circle_array = 719;
inline constexpr Oid macaddr8_array = 775;
inline constexpr Oid money_array = 791;
inline constexpr Oid macaddr_array = 1040;
inline constexpr Oid inet_array = 1041;
inline constexpr Oid bit_array = 1561;
inline constexpr Oid varbit_array = 1563;
inline constexpr Oid regprocedure_array = 2207;
inline constexpr Oid regoper_array = 2208;
inline constexpr Oid regoperator_array = 2209;
inline constexpr Oid regclass_array = 2210;
inline constexpr Oid regtype_array = 2211;
inline constexpr Oid regconfig_array = 3735;
inline constexpr Oid regdictionary_array = 3770;
inline constexpr Oid int4range_array = 3905;
inline constexpr Oid numrange_array = 3907;
inline constexpr Oid tsrange_array = 3909;
inline constexpr Oid tstzrange_array = 3911;
inline constexpr Oid daterange_array = 3913;
inline constexpr Oid int8range_array = 3927;
inline constexpr Oid regnamespace_array = 4090;
inline constexpr Oid regrole_array = 4097;
inline constexpr Oid regcollation_array = 4192;
inline constexpr Oid int4multirange_array = 6150;
inline constexpr Oid nummultirange_array = 6151;
inline constexpr Oid tsmultirange_array = 6152;
inline constexpr Oid tstzmultirange_array = 6153;
inline constexpr Oid datemultirange_array = 6155;
inline constexpr Oid int8multirange_array = 6157;
// --- end of the "decoders" block
}  // namespace oid

}  // namespace pgkit
