/*
 * routing.pml: convene's routing and presence protocol as the TypeScript implements it, checked
 * with spin over every interleaving (test/routing-model.test.ts runs it; README "Checked model").
 *
 * What is modelled, and its bounds
 *   3 participants in one room, 2 nodes sharing Redis (presence) and the Socket.IO Redis adapter:
 *     p0, the one who moves: connection A (c0) on node 0, connected at the start, and connection
 *         B (c1) on node 1, which may connect at any time with the same token (a second tab that
 *         replaces A, or a reconnect after A's link dropped). A and B join, may lose their link,
 *         and (-DLEAVES) may leave, also while their own join is still running.
 *     p1 (c2) on node 0, the host, and p2 (c3) on node 1: joined at the start, they send MSGS
 *         messages in all (public, private to p0, private to each other); p1 may kick p0
 *         (-DKICK). -DONE_SENDER: only p1 sends, p2 is the bystander. -DONE_CONNECTION: no B.
 *   Each atomic block is one JavaScript turn on one node (nothing else runs on that node inside
 *   it), or one Redis Lua script / one database transaction (atomic where it executes). Between
 *   two blocks anything else may happen: that is where the interleavings are.
 *
 * Properties (assertions in every reachable state; -DSAFETY, exhaustive, no bitstate). Each
 * assertion's line carries its tag; the test maps a counterexample's line to its property.
 *   P1 no private message reaches a connection of anyone but its sender and its recipient
 *      (received(), at every delivery).
 *   P2 no delivery to a connection that has left: once its room:leave is acknowledged it receives
 *      nothing (until it joins again); otherwise it receives only while presence names it as its
 *      participant's connection, or after its departure was decided (leave, kick, replacement)
 *      and before its end (session:ended + disconnect) reached it; nothing sent after a kick was
 *      acknowledged reaches the kicked participant (-DKICK). And at rest (Quiescent, when
 *      nothing can move): no connection that left, was kicked or replaced is still in a group,
 *      every connection in a group is the one presence names, and presence names only open,
 *      joined connections.
 *   P3 every acknowledged message is audited: a delivery only after its row committed, the ack
 *      only after the commit.
 *
 * Abstractions (each is sound for these properties; the reason is given where it is made)
 *   - Socket.IO groups: per connection, in room:<R> (inRoom) and in participant:<id> (inPart).
 *     The connection groups (connections:<R>, connections:participant:<id>, its own id) reach a
 *     connection from its handshake / from its connection on; cstate says which.
 *   - The adapter: ClusterAdapter delivers to this node's members in the turn of the emit and
 *     appends the emit to one Redis stream that the other node reads in order
 *     (@socket.io/redis-streams-adapter). stream[n] is what node n has yet to read; Node(n)
 *     applies one entry per step (an XREAD batch can end after any entry).
 *   - session:ended then disconnectSockets(true) are two adapter entries, one entry here (END_*):
 *     between them the connection may receive, which P2 allows (its end is decided).
 *   - replaceSessions' node requests (conference-server.ts:replaceHere) end a participant's
 *     connections other than the replacing and the replaced one; with two connections per
 *     participant there are none, so here they end nobody. Their round trip is the gap between
 *     steps J4 and J5, where anything may happen.
 *   - Rate limits, retries with the same clientMessageId, the lobby, role changes, token expiry,
 *     room close and node death are not modelled.
 *
 * Mutations (the test expects a counterexample for each): -DBROADCAST_FALLBACK (a private
 * message whose recipient is not found goes to the room: the well-known SFU bug),
 * -DDELIVER_BEFORE_COMMIT, -DKEEP_PERSONAL_GROUP (room:leave leaves room:<R> but not
 * participant:<id>), -DNO_REPLACE_END (the replaced connection is never ended),
 * -DCONCURRENT_TURNS (a connection's join and leave interleave: the code before ConnectionTurns),
 * -DKICK_THROUGH_ADAPTER (a kick ends the connections only through the adapter, and is
 * acknowledged before the other node has read that: the code before endSessionsEverywhere).
 */

#ifndef MSGS
#define MSGS 2
#endif

#define NP 3
#define NC 4
#define NONE 255
#define FAIL 254

/* cstate: NEW (B before it connects), HS (authenticated, in its handshake: in its connection
   groups, not yet in nsp.sockets, so a group disconnect misses it), OPEN, CLOSED. */
#define NEW 0
#define HS 1
#define OPEN 2
#define CLOSED 3

#define OWNER(c) ((c) < 2 -> 0 : (c) - 1)
#define NODE(c) ((c) % 2)
#define OTHER(n) (1 - (n))

mtype = { ROOM, PARTS, END_CONN, END_PART };

/* Redis presence (rooms/presence/redis-presence.store.ts): participant -> its connection. */
byte pres[NP];
/* PostgreSQL participants.revokedAt (rooms.service.ts:revokeParticipant). */
bool revoked[NP];

/* Per connection, on the node that holds it (socket.data, the adapter's rooms). */
byte cstate[NC];
bool inRoom[NC];
bool inPart[NC];
bool joined[NC];
/* ConnectionTurns (rooms/connection-turns.ts): a connection's join, leave and clean-up run one
   after another. */
bool busy[NC];

/* Ghost state for the properties. */
bool doomed[NC];  /* its departure was decided: leave, kick, or replaced in presence */
bool gone[NC];    /* its room:leave was acknowledged */
byte nmsgs;
bool committed[MSGS];
bool isPrivate[MSGS];
bool toRoom[MSGS]; /* delivered to room:<R> (public, or the mutation's fallback) */
#ifdef KICK
bool kickAcked;       /* room:kick was acknowledged to the host */
bool afterKick[MSGS]; /* message m was sent after that */
#endif
byte from[MSGS];
byte to[MSGS];

/* What node n has yet to read from the adapter's stream: (kind, message or connection or
   participant, except connection). Large enough that a publish never waits. */
chan stream[2] = [8] of { mtype, byte, byte };

byte i; /* loop index of the d_steps below; always 0 between steps */

/* ---- delivery ---------------------------------------------------------------------------- */

/* A chat:message reaches connection c. */
inline received(c, m) {
  assert(committed[m]);                                               /* P3 */
  assert(!isPrivate[m] || OWNER(c) == from[m] || OWNER(c) == to[m]);  /* P1 */
  assert(!gone[c] && (pres[OWNER(c)] == c || doomed[c]));             /* P2 */
#ifdef KICK
  assert(!afterKick[m] || OWNER(c) != 0);                             /* P2 */
#endif
}

/* The emit of message m as node n applies it to its own sockets: to room:<R>
   (conference-server.ts:tellRoom) or to participant:<to> and participant:<from>
   (tellParticipants), never to `except` (the sender's connection). */
inline deliverOn(n, m, except) {
  i = 0;
  do
  :: i < NC ->
     if
     :: NODE(i) == n && cstate[i] == OPEN && i != except &&
        ((toRoom[m] && inRoom[i]) ||
         (!toRoom[m] && inPart[i] && (OWNER(i) == from[m] || OWNER(i) == to[m]))) ->
        received(i, m)
     :: else -> skip
     fi;
     i++
  :: else -> break
  od;
  i = 0
}

/* The connection closes (server disconnect or lost link): out of every group; Socket.IO then
   calls handleDisconnect, whose clean-up is Cleanup(c). */
inline close(c) {
  cstate[c] = CLOSED;
  inRoom[c] = 0;
  inPart[c] = 0;
  joined[c] = 0
}

/* conference-server.ts:endConnection from node n: session:ended + disconnect to the socket's
   own group, through the adapter (here at once if the socket is on n). */
inline endConnection(x, n) {
  if
  :: NODE(x) == n -> if :: cstate[x] == OPEN -> close(x) :: else -> skip fi
  :: else -> stream[OTHER(n)]!END_CONN, x, 0
  fi
}

/* conference-server.ts:endSessions from node n: to connections:participant:<p>. */
inline endOwnersOn(n, p) {
  i = 0;
  do
  :: i < NC ->
     if :: NODE(i) == n && OWNER(i) == p && cstate[i] == OPEN -> close(i) :: else -> skip fi;
     i++
  :: else -> break
  od;
  i = 0
}

/* conference-server.ts:applyHere, op 'enter' (from enterRoom): in room:<R> and
   participant:<id>; a socket that is gone is touched by no node. */
inline enterRoom(c) {
  if
  :: cstate[c] == OPEN -> inRoom[c] = 1; inPart[c] = 1; joined[c] = 1
  :: else -> skip
  fi
}

/* Node n reads the adapter stream: ClusterAdapter.onMessage applies each entry to n's sockets. */
proctype Node(byte n) {
  mtype kind;
  byte a, b;
end:
  do
  :: d_step {
       stream[n]?kind, a, b ->
       if
       :: kind == ROOM || kind == PARTS -> deliverOn(n, a, b)
       :: kind == END_CONN -> if :: cstate[a] == OPEN -> close(a) :: else -> skip fi
       :: kind == END_PART -> endOwnersOn(n, a)
       fi;
       kind = 0; a = 0; b = 0
     }
  od
}

/* ---- ConnectionTurns --------------------------------------------------------------------- */

#ifdef CONCURRENT_TURNS
/* The code before ConnectionTurns: a connection's handlers ran interleaved. */
#define TAKE_TURN(c) skip
#define GIVE_TURN(c) skip
#else
#define TAKE_TURN(c) (!busy[c]) -> busy[c] = 1
#define GIVE_TURN(c) busy[c] = 0
#endif

/* ---- sessions ---------------------------------------------------------------------------- */

/* room:join, conference.gateway.ts:join -> sessions.service.ts:join, on node NODE(c), with the
   connection's turn already taken. */
inline joinInTurn(c, rep) {
  /* J1 rooms.getWithCurrentParticipant: a removed participant is refused (TOKEN_REVOKED). */
  atomic { if :: revoked[OWNER(c)] -> rep = FAIL; GIVE_TURN(c) :: else -> skip fi };
  if
  :: rep != FAIL ->
     atomic {
       /* J2 conference-server.ts:setIdentity (false when the socket is gone: NOT_JOINED), and in
          the same turn J3, presence.join (the JOIN script in redis-presence.store.ts): adds or
          replaces the participant's connection. Node n's later Redis commands execute after it,
          so with nothing replaced J5 (enterRoom, in the turn its reply arrives) belongs here:
          another node's steps between them commute with it. */
       if
       :: cstate[c] != OPEN -> rep = FAIL; GIVE_TURN(c)
       :: else ->
          rep = pres[OWNER(c)];
          pres[OWNER(c)] = c;
          doomed[c] = 0;
          if
          :: rep == c || rep == NONE -> rep = NONE; enterRoom(c)
          :: else -> doomed[rep] = 1
          fi
       fi
     }
  :: else -> skip
  fi;
  if
  :: rep != NONE && rep != FAIL ->
     /* J4 conference-server.ts:replaceSessions: endConnection(replaced) through the adapter,
        then the node requests (NodeRpc, awaited; they end nobody here, see above). */
#ifndef NO_REPLACE_END
     atomic { endConnection(rep, NODE(c)) };
#endif
     /* J5 conference-server.ts:enterRoom, after the requests' round trip. */
     atomic { enterRoom(c) }
  :: else -> skip
  fi;
  if
  :: rep != FAIL ->
     /* J6 presence.list: another connection of this participant joined meanwhile and stays;
        this one ends (endConnection) and the join fails with NOT_JOINED. Otherwise the ack:
        joined (a connection that joins again is not gone). */
     atomic {
       if
       :: pres[OWNER(c)] != NONE && pres[OWNER(c)] != c -> endConnection(c, NODE(c))
       :: else -> gone[c] = 0
       fi;
       GIVE_TURN(c)
     }
  :: else -> skip
  fi;
  rep = 0
}

inline join(c, rep) {
  atomic { TAKE_TURN(c) };
  joinInTurn(c, rep)
}

/* room:leave, conference.gateway.ts:leave -> sessions.service.ts:leave(reason 'left'). */
inline leave(c) {
  atomic { TAKE_TURN(c) };
  /* L2 presence.leave(room, participant, socketId) (the REMOVE script: only while it is that
     connection's entry). The lobby dequeue before it has no effect here. */
  atomic {
    doomed[c] = 1;
    if :: pres[OWNER(c)] == c -> pres[OWNER(c)] = NONE :: else -> skip fi
  };
  /* L3 conference-server.ts:leaveRoom (applyHere op 'leave': out of room:, hosts: and
     participant:), then the ack. */
  atomic {
    if
    :: cstate[c] == OPEN ->
       inRoom[c] = 0;
#ifndef KEEP_PERSONAL_GROUP
       inPart[c] = 0;
#endif
       joined[c] = 0
    :: else -> skip
    fi;
    gone[c] = 1;
    GIVE_TURN(c)
  }
}

/* The client sends room:leave while its room:join is still running. */
proctype LeaveMeanwhile(byte c) {
  leave(c)
}

/* conference.gateway.ts:handleDisconnect -> cleanUp -> sessions.leave(reason 'disconnected'):
   presence.leave if it is still this connection's entry (no leaveRoom: a closed socket is out
   of every group already). */
proctype Cleanup(byte c) {
end:
#ifdef CONCURRENT_TURNS
  atomic { cstate[c] == CLOSED -> skip };
#else
  atomic { cstate[c] == CLOSED && !busy[c] -> busy[c] = 1 };
#endif
  atomic {
    if :: pres[OWNER(c)] == c -> pres[OWNER(c)] = NONE :: else -> skip fi;
    GIVE_TURN(c)
  }
}

/* One connection of p0: join (the client may send room:leave before the join's ack), then stay,
   leave, or lose its link. */
inline moverSession(c, rep) {
  if
  :: join(c, rep)
#ifdef LEAVES
  :: atomic { TAKE_TURN(c); run LeaveMeanwhile(c) }; joinInTurn(c, rep)
#endif
  fi;
  if
  :: skip
#ifdef LEAVES
  :: leave(c)
#endif
  :: atomic { cstate[c] == OPEN -> close(c) }
  fi
}

proctype ConnA() {
  byte rep;
  moverSession(0, rep)
}

/* B: the handshake (conference.gateway.ts:acceptConnection: ConnectionAuthenticator.authenticate
   refuses a removed participant; admitConnection puts it in its connection groups), the
   connection, then handleConnection -> sessions.service.ts:confirmConnected (a removal during
   the handshake ends it); then like A. It may also never connect. */
proctype ConnB() {
  byte rep;
  if
  :: skip
#ifndef ONE_CONNECTION
  :: atomic { if :: revoked[0] -> rep = FAIL :: !revoked[0] -> cstate[1] = HS fi };
     if
     :: rep != FAIL ->
        atomic { cstate[1] = OPEN };
        atomic { if :: revoked[0] -> close(1) :: else -> skip fi };
        moverSession(1, rep)
     :: else -> skip
     fi
#endif
  fi
}

/* ---- chat -------------------------------------------------------------------------------- */

/* chat:send from connection c (p1 or p2, who stay joined, so JoinedGuard and
   chat.service.ts:sendChecked's own membership check always pass for them). */
inline send(c, m, kind) {
  /* The message: public, private to p0, or private to the other sender. */
  atomic {
    nmsgs < MSGS ->
    m = nmsgs;
    nmsgs++;
    from[m] = OWNER(c);
#ifdef KICK
    afterKick[m] = kickAcked;
#endif
    if
    :: kind = 0; to[m] = NONE; toRoom[m] = 1
    :: kind = 1; to[m] = 0; isPrivate[m] = 1
    :: kind = 1; to[m] = 3 - OWNER(c); isPrivate[m] = 1
    fi
  };
  if
  :: kind == 1 ->
     /* chat.service.ts:recipientOf -> room-membership.ts:current (presence.get): no such
        participant, no message (RECIPIENT_NOT_IN_ROOM), never a broadcast instead. */
     if
     :: atomic { pres[to[m]] != NONE -> skip }
#ifdef BROADCAST_FALLBACK
     :: atomic { pres[to[m]] == NONE -> toRoom[m] = 1 }   /* the well-known SFU bug */
#else
     :: atomic { pres[to[m]] == NONE -> kind = FAIL }
#endif
     fi
  :: else -> skip
  fi;
  if
  :: kind != FAIL ->
#ifdef DELIVER_BEFORE_COMMIT
     atomic { deliverOn(NODE(c), m, c); stream[OTHER(NODE(c))]!PARTS, m, c };
     if
     :: atomic { committed[m] = 1; assert(committed[m]) }   /* the ack */           /* P3 */
     :: skip
     fi
#else
     /* audit/audit-log.ts:append -> commitBatch: the row commits, then, in the turn the commit
        resolves, chat.service.ts:sendAsMember: chat-delivery.ts:deliver (participant:<to> +
        participant:<from>, or room:<R>), then the ack. Or the commit fails: AUDIT_UNAVAILABLE,
        nothing delivered. The commit is one step with the delivery: no other process reads
        what it writes, so where it falls between the check and the delivery changes nothing. */
     if
     :: atomic {
          committed[m] = 1;
          deliverOn(NODE(c), m, c);
          stream[OTHER(NODE(c))]!PARTS, m, c;
          assert(committed[m])   /* the ack */                                   /* P3 */
        }
     :: skip
     fi
#endif
  :: else -> skip
  fi;
  m = 0;
  kind = 0
}

/* p1 and p2 (joined at the start): send while messages remain. */
proctype Sender(byte c) {
  byte m, kind;
  do
  :: send(c, m, kind)
  :: atomic { nmsgs >= MSGS -> break }
  od
}

#ifdef KICK
/* room:kick by p1 (HostGuard: joined host), conference.gateway.ts:kick -> sessions.service.ts:kick,
   on node 0. */
proctype Kick() {
  if
  :: skip
  :: atomic { joined[2] -> revoked[0] = 1 };   /* K1 rooms.revokeParticipant */
     atomic { pres[0] = NONE; doomed[0] = 1; doomed[1] = 1 };   /* K3 presence.leave */
#ifdef KICK_THROUGH_ADAPTER
     /* The code before: K4 only through the adapter (endSessions), the ack at once. */
     atomic { endOwnersOn(0, 0); stream[1]!END_PART, 0, 0 };
#else
     /* K4 conference-server.ts:endSessionsEverywhere: a node request to each node (op 'end'),
        which ends the participant's connections it holds in the handler's turn; both awaited,
        answered in either order (onEveryNode reads the live nodes from Redis then, so a node
        started since the last heartbeat is asked too). Then the same end through the adapter
        (endSessions), for a node that did not answer; it finds nobody here. */
     if
     :: atomic { endOwnersOn(0, 0) }; atomic { endOwnersOn(1, 0) }
     :: atomic { endOwnersOn(1, 0) }; atomic { endOwnersOn(0, 0) }
     fi;
     atomic { endOwnersOn(0, 0); stream[1]!END_PART, 0, 0 };
#endif
     kickAcked = 1   /* K5 the ack */
  fi
}
#endif

/* ---- at rest ----------------------------------------------------------------------------- */

/* When nothing can move (every stream read, every handler done): P2 at rest. */
proctype Quiescent() {
  timeout ->
  d_step {
    i = 0;
    do
    :: i < NC ->
       assert(!doomed[i] || cstate[i] == CLOSED || !(inRoom[i] || inPart[i]));          /* P2 */
       assert(cstate[i] != OPEN || !(inRoom[i] || inPart[i]) || pres[OWNER(i)] == i);   /* P2 */
       i++
    :: else -> break
    od;
    i = 0;
    do
    :: i < NP ->
       assert(pres[i] == NONE || (cstate[pres[i]] == OPEN && joined[pres[i]]));          /* P2 */
       i++
    :: else -> break
    od;
    i = 0
  }
}

init {
  atomic {
    pres[0] = NONE; pres[1] = NONE; pres[2] = NONE;
    cstate[0] = OPEN; cstate[2] = OPEN; cstate[3] = OPEN;
    /* p1 and p2 have joined (sessions.service.ts:join, as for A below). */
    pres[1] = 2; pres[2] = 3;
    inRoom[2] = 1; inPart[2] = 1; joined[2] = 1;
    inRoom[3] = 1; inPart[3] = 1; joined[3] = 1;
    run Node(0); run Node(1);
    run Cleanup(0); run Cleanup(1);
    run Sender(2);
#ifndef ONE_SENDER
    run Sender(3);
#endif
    run ConnA(); run ConnB();
#ifdef KICK
    run Kick();
#endif
    run Quiescent()
  }
}
