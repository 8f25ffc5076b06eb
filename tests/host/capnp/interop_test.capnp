@0xc4a3b9f6a1d2e873;
# Interop test schema: every field type, defaults, unions, groups, lists of
# every element size, lists of lists, lists of structs, text/data, enums,
# constants and an interface. Built by libcapnp and by capos::capnp; each
# reads what the other wrote.

enum Color {
  red @0;
  green @1;
  blue @2;
  ultraviolet @3;
}

struct Small {
  a @0 :UInt32;
  b @1 :Text;
}

struct AllTypes {
  voidField @0 :Void;
  boolField @1 :Bool;
  int8Field @2 :Int8;
  int16Field @3 :Int16;
  int32Field @4 :Int32;
  int64Field @5 :Int64;
  uInt8Field @6 :UInt8;
  uInt16Field @7 :UInt16;
  uInt32Field @8 :UInt32;
  uInt64Field @9 :UInt64;
  float32Field @10 :Float32;
  float64Field @11 :Float64;
  textField @12 :Text;
  dataField @13 :Data;
  structField @14 :AllTypes;
  enumField @15 :Color;

  voidList @16 :List(Void);
  boolList @17 :List(Bool);
  int8List @18 :List(Int8);
  int16List @19 :List(Int16);
  int32List @20 :List(Int32);
  int64List @21 :List(Int64);
  uInt8List @22 :List(UInt8);
  uInt16List @23 :List(UInt16);
  uInt32List @24 :List(UInt32);
  uInt64List @25 :List(UInt64);
  float32List @26 :List(Float32);
  float64List @27 :List(Float64);
  textList @28 :List(Text);
  dataList @29 :List(Data);
  structList @30 :List(Small);
  enumList @31 :List(Color);
  listList @32 :List(List(Int32));
  textListList @33 :List(List(Text));
  structListList @34 :List(List(Small));
  interfaceField @35 :Echo;
}

struct Defaults {
  boolField @0 :Bool = true;
  int8Field @1 :Int8 = -123;
  int16Field @2 :Int16 = -12345;
  int32Field @3 :Int32 = -12345678;
  int64Field @4 :Int64 = -123456789012345;
  uInt8Field @5 :UInt8 = 234;
  uInt16Field @6 :UInt16 = 45678;
  uInt32Field @7 :UInt32 = 3456789012;
  uInt64Field @8 :UInt64 = 12345678901234567890;
  float32Field @9 :Float32 = 1234.5;
  float64Field @10 :Float64 = -123e45;
  textField @11 :Text = "foo";
  dataField @12 :Data = 0x"62 61 72";
  structField @13 :Small = (a = 7, b = "seven");
  enumField @14 :Color = ultraviolet;
  int32List @15 :List(Int32) = [1, -2, 3];
  textList @16 :List(Text) = ["plugh", "xyzzy"];
  structList @17 :List(Small) = [(a = 1, b = "one"), (a = 2)];
  boolList @18 :List(Bool) = [true, false, true, true];
}

struct Unions {
  tag @0 :UInt8;
  union {
    none @1 :Void;
    number @2 :Int64;
    text @3 :Text;
    small @4 :Small;
    pair :group {
      left @5 :UInt16;
      right @6 :UInt16;
    }
  }
  named :union {
    a @7 :Bool;
    b @8 :UInt32;
    c @9 :List(UInt8);
  }
  grp :group {
    x @10 :UInt64;
    y @11 :Text;
    inner :group {
      z @12 :Int16 = -5;
    }
  }
}

struct Empty {}

struct Holder {
  empties @0 :List(Empty);
  empty @1 :Empty;
  any @2 :AnyPointer;
  big @3 :Data;
  children @4 :List(Holder);
}

const constU32 :UInt32 = 4242;
const constText :Text = "constant text";
const constSmall :Small = (a = 9, b = "nine");
const constList :List(Int16) = [5, -6, 7];
const constColor :Color = green;

interface Echo {
  echo @0 (value :Text, times :UInt32) -> (result :Text, count :UInt32);
  sum @1 (values :List(Int64)) -> (total :Int64);
  describe @2 (item :Small) -> (copy :Small, color :Color = blue);
  nothing @3 ();
}
