"""`ikesim peer`: one device of a topology as a live IKE peer, on a real UDP socket in real
time. The device, its kmd, pkid and logs are the simulation's own (sim.scenario builds them);
this package only swaps what delivers time (simpy.rt) and datagrams (a socket)."""
