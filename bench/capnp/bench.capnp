@0xd6f1e0c2b3a49587;
# A representative capOS IPC message for the encode/decode benchmark: a
# spawn-like request with scalars, a name, text args, a list of grant
# structs with a union, a payload blob and a list of limits.

struct Grant {
  name @0 :Text;
  interfaceId @1 :UInt64;
  slot @2 :UInt32;
  mode :union {
    copy @3 :Void;
    move @4 :Void;
  }
}

struct Request {
  id @0 :UInt64;
  flags @1 :UInt32;
  priority @2 :UInt8;
  name @3 :Text;
  args @4 :List(Text);
  grants @5 :List(Grant);
  payload @6 :Data;
  limits @7 :List(UInt64);
}
